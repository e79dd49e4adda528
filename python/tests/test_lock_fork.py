"""A LockManager across fork() and spawn (issue 13 item 10): a forked child
gets its own backend connection (the parent's session survives the child),
an inherited with-block never releases the parent's lease, and a
LockManager pickles as its URL for the spawn start method."""

import multiprocessing
import os
import pickle
import time
import uuid

import pytest

from datashard import LockManager

from lock_helpers import postgres_url


def redis_url():
    url = os.environ.get("DATASHARD_TEST_REDIS_URL", "")
    assert url, "DATASHARD_TEST_REDIS_URL is not set: start scripts/services.sh first"
    return url


def run_in_child(body):
    """fork(); the child runs `body()` and exits 0 if it returned, 1 if it
    raised. Returns the child's exit code (bounded wait: a hung child fails)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        finally:
            os._exit(code)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung")


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'locks.db'}"
    return postgres_url() if request.param == "postgres" else redis_url()


def test_forked_child_uses_its_own_connection_and_leaves_the_parents_alone(url):
    manager = LockManager(url)
    resource = f"t{uuid.uuid4().hex}/x"
    lease = manager.acquire(resource, owner="parent", ttl=60)

    def child():
        seen = [(l.owner, l.fencing_token) for l in manager.inspect(resource)]
        assert seen == [("parent", lease.fencing_token)], seen
        mine = manager.acquire(resource + "/child", owner="parent", ttl=60)
        manager.release(mine.resource, owner="parent")

    def child_then_dispose():
        child()
        # The child's end destroys its copy of the manager: that must not end
        # the parent's server session.
        nonlocal manager
        del manager
        import gc

        gc.collect()

    assert run_in_child(child_then_dispose) == 0
    assert [(l.owner, l.fencing_token) for l in manager.inspect(resource)] == [
        ("parent", lease.fencing_token)
    ]
    manager.release(resource, owner="parent")
    assert manager.inspect(resource) == []


def test_inherited_with_block_does_not_release_the_parents_lease(url):
    manager = LockManager(url)
    resource = f"t{uuid.uuid4().hex}/x"
    with manager.lock(resource, owner="parent", ttl=30, auto_renew=True) as held:
        token = held.fencing_token

        def child():
            # The child leaves the with-block it inherited: its exit must not
            # release (nor join the parent's renewal thread, which the child lacks).
            held.__exit__(None, None, None)

        assert run_in_child(child) == 0
        assert [(l.owner, l.fencing_token) for l in manager.inspect(resource)] == [
            ("parent", token)
        ]
        held.check_held()
    assert manager.inspect(resource) == []


def _child_lists(manager, resource, queue):
    queue.put([(l.owner, l.fencing_token) for l in manager.inspect(resource)])


def test_lock_manager_pickles_as_its_url_for_spawn(tmp_path):
    url = postgres_url()
    with_password = url + ("&" if "?" in url else "?") + "password=hunter2"
    manager = LockManager(with_password)
    assert "hunter2" not in repr(manager)
    assert "hunter2" not in manager.url
    copy = pickle.loads(pickle.dumps(manager))
    assert isinstance(copy, LockManager) and copy.url == manager.url
    resource = f"t{uuid.uuid4().hex}/x"
    lease = manager.acquire(resource, owner="parent", ttl=60)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_lists, args=(manager, resource, queue))
    proc.start()
    assert queue.get(timeout=120) == [("parent", lease.fencing_token)]
    proc.join(timeout=60)
    assert proc.exitcode == 0
    manager.release(resource, owner="parent")
