"""Arguments of the lock API (issue 13 items 11 and 13): a str where a list
of resources is expected is refused; a Lease pickles (multiprocessing
workers return them)."""

import pickle

import pytest

from datashard import InvalidArgument, Lease, LockManager


@pytest.fixture
def manager(tmp_path):
    return LockManager(f"sqlite:{tmp_path / 'locks.db'}")


@pytest.mark.parametrize("resources", ["ab", "flight/1", b"flight/1"])
def test_acquire_all_refuses_a_single_string(manager, resources):
    with pytest.raises(InvalidArgument, match="resources must be a list"):
        manager.acquire_all(resources, owner="o")
    assert manager.list() == []


def test_lease_pickles_with_every_field(manager):
    lease = manager.acquire("flight/1", owner="app-1", shared=True, ttl=60)
    copy = pickle.loads(pickle.dumps(lease))
    assert isinstance(copy, Lease)
    assert (copy.resource, copy.owner, copy.mode, copy.expiry, copy.fencing_token) == (
        lease.resource, lease.owner, lease.mode, lease.expiry, lease.fencing_token)
    assert repr(copy) == repr(lease)
    # The copy names the same grant: it can renew and release it.
    renewed = manager.renew(copy, ttl=120)
    assert renewed.fencing_token == lease.fencing_token
    manager.release(copy)
    assert manager.list() == []
