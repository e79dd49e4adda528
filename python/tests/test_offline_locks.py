"""Offline concurrency patterns on tables (DESIGN.md §5, §7): the optimistic
lock's scopes (expected_snapshot_id with guard_where / guard_changed_columns),
fencing tokens checked where the commit lands, and the implicit lock
new_transaction(lock=manager.lock_spec(...)), with real processes for the
lease that expires while its holder pauses."""

import subprocess
import sys
import threading

import pytest

from datashard import (
    ConcurrentModificationException,
    DeadlockDetected,
    InvalidArgument,
    LockManager,
    Schema,
    StaleFencingToken,
    create_table,
)
from lock_helpers import wait_until

SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "flight", "type": "string", "required": True},
        {"id": 2, "name": "seat", "type": "string", "required": True},
        {"id": 3, "name": "status", "type": "string", "required": True},
    ],
)


def seats(table):
    return sorted((r["flight"], r["seat"], r["status"]) for r in table.scan())


@pytest.fixture
def table(tmp_path):
    t = create_table(tmp_path / "seats", SCHEMA)
    t.append_records(
        [{"flight": "LO1", "seat": s, "status": "free"} for s in ("1A", "1B")]
        + [{"flight": "LO2", "seat": "1A", "status": "free"}]
    )
    return t


@pytest.fixture
def manager(tmp_path):
    return LockManager(f"sqlite:{tmp_path / 'locks.db'}")


def test_row_scope_rebases_over_other_rows_and_refuses_its_own(table):
    seen = table.current_snapshot().snapshot_id
    table.update({"status": "sold"}, "seat = '1B'")  # same data file, other row
    with table.new_transaction(
        expected_snapshot_id=seen, guard_where="flight = 'LO1' and seat = '1A'"
    ) as tx:
        tx.update({"status": "blocked"}, "flight = 'LO1' and seat = '1A'")
        assert tx.commit()
    assert seats(table) == [("LO1", "1A", "blocked"), ("LO1", "1B", "sold"), ("LO2", "1A", "free")]

    seen = table.current_snapshot().snapshot_id
    table.update({"status": "sold"}, "flight = 'LO1' and seat = '1A'")
    changer = table.current_snapshot()
    with table.new_transaction(
        expected_snapshot_id=seen, guard_where="flight = 'LO1' and seat = '1A'"
    ) as tx:
        tx.update({"status": "free"}, "flight = 'LO1' and seat = '1A'")
        with pytest.raises(ConcurrentModificationException) as caught:
            tx.commit()
    message = str(caught.value)
    assert f"snapshot {changer.snapshot_id} (operation overwrite" in message
    assert caught.value.retries == 0
    assert table.current_snapshot().snapshot_id == changer.snapshot_id


def test_changed_columns_is_dirty_checking(tmp_path):
    t = create_table(
        tmp_path / "f",
        Schema(schema_id=1, fields=[
            {"id": 1, "name": "id", "type": "long", "required": True},
            {"id": 2, "name": "gate", "type": "string", "required": True},
            {"id": 3, "name": "price", "type": "long", "required": True},
        ]),
    )
    t.append_records([{"id": 1, "gate": "A1", "price": 100}])
    seen = t.current_snapshot().snapshot_id
    t.update({"gate": "B7"}, "id = 1")  # another column of the same row
    with t.new_transaction(expected_snapshot_id=seen, guard_changed_columns=True) as tx:
        tx.update({"price": 120}, "id = 1")
        assert tx.commit()
    assert [(r["gate"], r["price"]) for r in t.scan()] == [("B7", 120)]
    seen = t.current_snapshot().snapshot_id
    t.update({"price": 90}, "id = 1")
    with t.new_transaction(expected_snapshot_id=seen, guard_changed_columns=True) as tx:
        tx.update({"price": 130}, "id = 1")
        with pytest.raises(ConcurrentModificationException, match="columns price of the rows"):
            tx.commit()
    assert [r["price"] for r in t.scan()] == [90]


def test_guard_arguments_are_checked(table):
    with pytest.raises(InvalidArgument, match="expected_snapshot_id"):
        table.new_transaction(guard_where="seat = '1A'")
    with pytest.raises(InvalidArgument, match="guard_where"):
        table.new_transaction(expected_snapshot_id=1, guard_where="nope = 1")
    with pytest.raises(InvalidArgument, match="fencing_tokens"):
        table.new_transaction(fencing_tokens=[("a", 1)])
    with pytest.raises(InvalidArgument, match="LockSpec"):
        table.new_transaction(lock=("a", "b"))


def test_fencing_tokens_refuse_a_stale_writer(table):
    with table.new_transaction(fencing_tokens={"seats/LO1": 7}) as tx:
        tx.update({"status": "sold"}, "seat = '1B'")
        tx.commit()
    assert table.properties["datashard.fencing.seats/LO1"] == "7"
    before = seats(table)
    with table.new_transaction(fencing_tokens={"seats/LO1": 6}) as tx:
        tx.append_data([{"flight": "LO1", "seat": "9Z", "status": "stale"}])
        with pytest.raises(StaleFencingToken, match="fencing token 6 is older than token 7"):
            tx.commit()
    assert seats(table) == before


def test_implicit_lock_fences_and_is_released_on_commit_and_on_exception(table, manager):
    spec = manager.lock_spec("seats/LO1", owner="agent-1", ttl=30)
    with table.new_transaction(lock=spec) as tx:
        (lease,) = tx.leases
        assert [(l.resource, l.owner) for l in manager.list()] == [("seats/LO1", "agent-1")]
        tx.update({"status": "sold"}, "flight = 'LO1' and seat = '1A'")
        tx.commit()
    assert manager.list() == [] and tx.leases == []
    assert table.properties["datashard.fencing.seats/LO1"] == str(lease.fencing_token)
    with pytest.raises(ZeroDivisionError):
        with table.new_transaction(lock=spec) as tx:
            tx.append_data([{"flight": "LO1", "seat": "2A", "status": "free"}])
            1 / 0
    assert manager.list() == []
    assert ("LO1", "2A", "free") not in seats(table)


def test_shared_locks_give_a_consistent_multi_read_while_a_writer_waits(table, manager):
    writer_started = threading.Event()
    writer_done = threading.Event()

    def writer():
        spec = manager.lock_spec("seats", owner="writer", wait=60)
        writer_started.set()
        with table.new_transaction(lock=spec) as tx:  # waits for the readers
            tx.update({"status": "sold"}, "flight = 'LO2'")
            tx.append_data([{"flight": "LO2", "seat": "1B", "status": "sold"}])
            tx.commit()
        writer_done.set()

    thread = threading.Thread(target=writer)
    # Two reads under one shared lock on the table, which covers its flights.
    with manager.lock("seats", owner="reader", shared=True):
        first = seats(table)
        thread.start()
        writer_started.wait()
        second = seats(table)
        assert not writer_done.is_set()
        assert [l.owner for l in manager.list()] == ["reader"]
    thread.join()
    assert first == second
    assert seats(table) == [("LO1", "1A", "free"), ("LO1", "1B", "free"),
                            ("LO2", "1A", "sold"), ("LO2", "1B", "sold")]


def test_opposite_lock_order_makes_one_deadlock_victim_and_the_other_proceeds(table, manager):
    both_hold = threading.Barrier(2)
    outcome = {}

    def agent(name, first, second):
        try:
            with table.new_transaction(lock=manager.lock_spec(first, owner=name, ttl=60)) as tx:
                both_hold.wait()
                extra = manager.acquire(second, owner=name, ttl=60, wait=60)
                tx.append_data([{"flight": "LO9", "seat": name, "status": "sold"}])
                tx.commit()
                manager.release(extra)
            outcome[name] = "committed"
        except DeadlockDetected:
            outcome[name] = "victim"

    threads = [threading.Thread(target=agent, args=("agent-1", "flights/LO1", "flights/LO2")),
               threading.Thread(target=agent, args=("agent-2", "flights/LO2", "flights/LO1"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["committed", "victim"]
    winner = next(n for n, o in outcome.items() if o == "committed")
    assert [r for r in seats(table) if r[0] == "LO9"] == [("LO9", winner, "sold")]
    assert manager.list() == []


STALE_HOLDER = r"""
import sys
from datashard import LockManager, StaleFencingToken, open_table
table, url = open_table(sys.argv[1]), sys.argv[2]
manager = LockManager(url)
with table.new_transaction(lock=manager.lock_spec("seats/LO1", owner="paused", ttl=1)) as tx:
    tx.append_data([{"flight": "LO1", "seat": "9Z", "status": "stale"}])
    print(tx.leases[0].fencing_token, flush=True)
    sys.stdin.readline()  # paused past its lease
    try:
        tx.commit()
        print("committed", flush=True)
    except StaleFencingToken as e:
        print("StaleFencingToken:", e, flush=True)
"""


def test_a_lease_expiring_during_a_pause_cannot_land_a_write(table, manager, tmp_path):
    url = f"sqlite:{tmp_path / 'locks.db'}"
    stale = subprocess.Popen([sys.executable, "-c", STALE_HOLDER, table.table_path, url],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        stale_token = int(stale.stdout.readline())
        wait_until(lambda: not any(l.owner == "paused" for l in manager.list()),
                   "the paused holder's lease expired")
        successor = subprocess.run(
            [sys.executable, "-c",
             "import sys; from datashard import LockManager, open_table\n"
             "t = open_table(sys.argv[1]); m = LockManager(sys.argv[2])\n"
             "with t.new_transaction(lock=m.lock_spec('seats/LO1', owner='next', wait=30)) as tx:\n"
             "    tx.update({'status': 'sold'}, \"flight = 'LO1'\")\n"
             "    token = tx.leases[0].fencing_token\n"
             "    tx.commit()\n"
             "print(token)\n",
             table.table_path, url],
            capture_output=True, text=True, check=True)
        successor_token = int(successor.stdout)
        assert successor_token > stale_token
        out, _ = stale.communicate("go\n", timeout=120)
    finally:
        stale.kill()
    assert out.startswith("StaleFencingToken:"), out
    assert f"fencing token {stale_token} is older than token {successor_token}" in out
    assert seats(table) == [("LO1", "1A", "sold"), ("LO1", "1B", "sold"), ("LO2", "1A", "free")]


def test_one_transaction_methods_take_the_transaction_keywords(table, manager):
    seen = table.current_snapshot().snapshot_id
    assert table.update({"status": "sold"}, "flight = 'LO2'", expected_snapshot_id=seen,
                        guard_where="flight = 'LO2'") == 1
    with pytest.raises(ConcurrentModificationException):
        table.delete("flight = 'LO2'", expected_snapshot_id=seen)
    spec = manager.lock_spec("seats/LO1", owner="agent-1")
    assert table.append_records([{"flight": "LO1", "seat": "2A", "status": "free"}], lock=spec)
    assert manager.list() == []
    token = int(table.properties["datashard.fencing.seats/LO1"])
    with pytest.raises(StaleFencingToken):
        table.delete("flight = 'LO1'", fencing_tokens={"seats/LO1": token - 1})
    with pytest.raises(InvalidArgument, match="unexpected keyword argument 'expected'"):
        table.delete("flight = 'LO1'", expected=seen)
    assert seats(table) == [("LO1", "1A", "free"), ("LO1", "1B", "free"), ("LO1", "2A", "free"),
                            ("LO2", "1A", "sold")]
