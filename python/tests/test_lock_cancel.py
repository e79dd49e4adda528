"""Ctrl-C during a lock wait (issue 13 item 8): the wait ends with
KeyboardInterrupt at once, its place in the queue is withdrawn, and a grant
that arrives together with the interrupt is released, not leaked."""

import os
import signal
import sqlite3
import threading
import uuid

import pytest

from datashard import LockManager

from lock_helpers import Psql, postgres_url, sessions_waiting_for, wait_until


def interrupt_when(condition, what):
    """SIGINT to this process once `condition` holds, from a helper thread."""

    def run():
        wait_until(condition, what)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def sqlite_locks(tmp_path):
    path = tmp_path / "locks.db"
    manager = LockManager(f"sqlite:{path}")

    def queued(owner):
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT count(*) FROM datashard_lock_waiters WHERE owner = ?", (owner,)
            ).fetchone()[0]

    return manager, queued


@pytest.mark.parametrize("call", ["acquire", "lock", "acquire_all"])
def test_ctrl_c_ends_a_lock_wait_and_withdraws_it(sqlite_locks, call):
    manager, queued = sqlite_locks
    manager.acquire("flight/1", owner="holder", ttl=60)
    waiter = interrupt_when(lambda: queued("waiter") > 0, "the waiter queued")
    with pytest.raises(KeyboardInterrupt):
        if call == "acquire":
            manager.acquire("flight/1", owner="waiter", wait=8)
        elif call == "lock":
            with manager.lock("flight/1", owner="waiter", wait=8):
                pass
        else:
            manager.acquire_all(["a/0", "flight/1"], owner="waiter", wait=8)
    waiter.join()
    assert queued("waiter") == 0
    assert [(l.resource, l.owner) for l in manager.list()] == [("flight/1", "holder")]


def test_grant_arriving_with_ctrl_c_is_released():
    url = postgres_url()
    manager = LockManager(url)
    resource = f"t{uuid.uuid4().hex}/flight/1"
    psql = Psql(url)
    try:
        # Hold the resource's grant lock so the acquire stalls inside its grant.
        assert psql.query(f"SELECT 'held' FROM pg_advisory_lock(hashtextextended('{resource}', 0))") == "held"

        def interrupt_then_let_go():
            wait_until(lambda: sessions_waiting_for(url, psql.pid) > 0, "the grant stalled")
            os.kill(os.getpid(), signal.SIGINT)
            psql.query(f"SELECT pg_advisory_unlock(hashtextextended('{resource}', 0))")

        helper = threading.Thread(target=interrupt_then_let_go, daemon=True)
        helper.start()
        with pytest.raises(KeyboardInterrupt):
            manager.acquire(resource, owner="late", ttl=60)
        helper.join()
        assert manager.inspect(resource) == []
    finally:
        psql.close()
        manager.release_all(owner="late")
