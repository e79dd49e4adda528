"""The lock manager from Python: context manager, leases, errors."""

import datetime
import threading

import pytest

from datashard import (
    InvalidArgument,
    LockExpired,
    LockManager,
    LockNotAcquired,
    open_lock_manager,
)


@pytest.fixture
def manager(tmp_path):
    return LockManager(f"sqlite:{tmp_path / 'locks.db'}")


def test_documented_context_manager_holds_and_releases(manager):
    with manager.lock("flight/123", owner="app-1", ttl=30) as lease:
        assert (lease.resource, lease.owner, lease.mode) == ("flight/123", "app-1", "exclusive")
        assert lease.fencing_token >= 1
        now = datetime.datetime.now(datetime.timezone.utc)
        assert now < lease.expiry <= now + datetime.timedelta(seconds=31)
        held = manager.list()
        assert [(h.resource, h.owner, h.mode) for h in held] == [("flight/123", "app-1", "exclusive")]
        # The lock covers what is below it (coarse-grained lock).
        with pytest.raises(LockNotAcquired, match="held by 'app-1'"):
            manager.acquire("flight/123/seat/4A", owner="app-2")
    assert manager.list() == []
    second = manager.acquire("flight/123/seat/4A", owner="app-2", ttl="10s")
    assert second.fencing_token > lease.fencing_token


def test_exception_inside_the_block_releases_and_propagates(manager):
    with pytest.raises(KeyError):
        with manager.lock("order/9", owner="a"):
            raise KeyError("boom")
    assert manager.list() == []


def test_shared_locks_coexist_and_exclude_writers(manager):
    a = manager.acquire("doc/1", owner="r1", shared=True)
    b = manager.acquire("doc/1", owner="r2", shared=True)
    assert (a.mode, b.mode) == ("shared", "shared")
    assert manager.try_acquire("doc/1", owner="w") is None
    assert [l.owner for l in manager.inspect("doc/1")] == ["r1", "r2"]
    assert manager.release_all(owner="r1") == 1
    manager.release("doc/1", owner="r2")
    assert manager.try_acquire("doc/1", owner="w").owner == "w"


def test_release_of_a_lock_not_held_is_lock_expired(manager):
    with pytest.raises(LockExpired):
        manager.release("nothing/here", owner="x")
    with pytest.raises(LockExpired):
        manager.renew("nothing/here", owner="x", ttl=5)


def test_acquire_all_takes_everything_in_order(manager):
    leases = manager.acquire_all(["b/2", ("a/1", "shared")], owner="o", ttl=datetime.timedelta(seconds=5))
    assert [(l.resource, l.mode) for l in leases] == [("a/1", "shared"), ("b/2", "exclusive")]


def test_waiter_gets_the_lock_when_the_holder_leaves(manager):
    granted = []
    first = manager.lock("queue/1", owner="first", ttl=30)
    first.__enter__()

    def waiter():
        with manager.lock("queue/1", owner="second", ttl=30, wait=30) as lease:
            granted.append(lease.owner)

    thread = threading.Thread(target=waiter)
    thread.start()
    first.__exit__(None, None, None)
    thread.join(timeout=60)
    assert granted == ["second"]


def test_bad_durations_and_urls(manager, tmp_path):
    with pytest.raises(InvalidArgument, match="ttl must be seconds"):
        manager.acquire("x", owner="o", ttl=[1])
    with pytest.raises(InvalidArgument, match="duration '5 seconds'"):
        manager.acquire("x", owner="o", ttl="5 seconds")
    with pytest.raises(InvalidArgument, match="must start with sqlite:"):
        open_lock_manager(f"file:{tmp_path}")
    assert open_lock_manager(manager.url).url == manager.url
