"""Every example of docs/python.md, run as written against real tables in
temporary folders. Endless loops run bounded (time.sleep patched to stop
them); conflicts are real: a table that allows no commit retries, and another
process committing between a transaction's start and its commit."""

import logging
import multiprocessing
import subprocess
import sys
import textwrap
import time

import pytest

import datashard
from datashard import ConcurrentModificationException, LockManager, open_table

from snippets import documented_examples, example, run_example_function

SPAWN = multiprocessing.get_context("spawn")


def run(title, folder, **names):
    namespace = {"__name__": "example", **names}
    exec(compile(example(title, folder), "docs/python.md", "exec"), namespace)
    return namespace


def rows(path, *columns):
    return sorted(tuple(r[c] for c in columns) for r in open_table(path).scan())


def commit_from_another_process(path, record):
    code = textwrap.dedent(
        f"""
        from datashard import open_table
        table = open_table({str(path)!r})
        assert table.append_records(records=[{record!r}])
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docs_hold_eleven_examples():
    assert list(documented_examples()) == [
        "Concurrency and safe multi-process access",
        "Handling conflicts",
        "Reading while writing",
        "Multiple writers",
        "Retry logic",
        "Batch operations",
        "Transaction scope",
        "Monitoring concurrency",
        "Leader/follower pattern",
        "Partition-aware writing",
        "Filtered scans",
    ]


def test_occ_example(tmp_path):
    ns = run("Concurrency and safe multi-process access", tmp_path)
    assert ns["success"] is True
    assert rows(tmp_path / "table", "record_id", "value") == [(1, "A")]
    snapshot = ns["table"].current_snapshot()
    assert snapshot.operation == "append"
    assert snapshot.parent_snapshot_id is None
    assert snapshot.summary["added-records"] == "1"
    assert ns["table"].table_path == str(tmp_path / "table")


def test_handling_conflicts_example_without_conflict(tmp_path, capsys):
    run("Handling conflicts", tmp_path)
    assert capsys.readouterr().out == "Transaction succeeded\n"
    assert rows(tmp_path / "table", "record_id", "value") == [(2, "B")]


def test_handling_conflicts_example_retries_a_real_conflict(tmp_path, capsys, monkeypatch):
    path = tmp_path / "table"
    original = datashard.Table.new_transaction
    raced = []

    def new_transaction(table, **options):
        # The first two attempts read the table, then another process commits
        # before they do: the library's version check refuses them.
        if len(raced) < 2:
            raced.append(1)
            snapshot = table.current_snapshot()
            options["expected_snapshot_id"] = snapshot.snapshot_id if snapshot else datashard.NO_SNAPSHOT
            tx = original(table, **options)
            commit_from_another_process(path, {"record_id": 100 + len(raced), "value": "other"})
            return tx
        return original(table, **options)

    monkeypatch.setattr(datashard.Table, "new_transaction", new_transaction)
    run("Handling conflicts", tmp_path)
    assert capsys.readouterr().out == (
        "Conflict detected, attempt 1\nConflict detected, attempt 2\nTransaction succeeded\n"
    )
    assert rows(path, "record_id", "value") == [(2, "B"), (101, "other"), (102, "other")]
    # The refused attempts left no data files behind: one per committed append.
    assert len(list((path / "data").rglob("*.parquet"))) == 3


def test_conflict_exception_carries_snapshot_ids(tmp_path):
    ns = run("Concurrency and safe multi-process access", tmp_path)
    table, path = ns["table"], tmp_path / "table"
    base = table.current_snapshot().snapshot_id
    with pytest.raises(ConcurrentModificationException) as info:
        with table.new_transaction(expected_snapshot_id=base) as tx:
            tx.append_data(records=[{"record_id": 2, "value": "y"}])
            commit_from_another_process(path, {"record_id": 3, "value": "z"})
            tx.commit()
    error = info.value
    current = table.current_snapshot()
    assert current.parent_snapshot_id == base
    assert (error.base_snapshot_id, error.current_snapshot_id) == (base, current.snapshot_id)
    assert error.conflicting_snapshot_id == current.snapshot_id
    assert error.retries == 0
    assert isinstance(error, datashard.CommitConflict)
    assert rows(path, "record_id") == [(1,), (3,)]


def test_reading_while_writing_example(tmp_path):
    code = example("Reading while writing", tmp_path)
    queue = SPAWN.Queue()
    writer = SPAWN.Process(target=run_example_function, args=(code, "write_process", 20, 0.01))
    reader = SPAWN.Process(
        target=run_example_function, args=(code, "read_process", 150, 0.01, queue)
    )
    writer.start()
    reader.start()
    seen = queue.get(timeout=300)
    reader.join(timeout=60)
    writer.join(timeout=300)
    assert (writer.exitcode, reader.exitcode) == (0, 0)
    # 20 sleeps: 20 appends of record 3.
    assert rows(tmp_path / "concurrent_table", "record_id", "value") == [(3, "C")] * 20
    # The reader saw consistent snapshots only moving forward.
    table = open_table(tmp_path / "concurrent_table")
    history = {s.snapshot_id: s.sequence_number for s in table.history()}
    assert seen and all(history[sid] == seq for seq, sid in seen)
    assert [seq for seq, _ in seen] == sorted(seq for seq, _ in seen)
    for seq, sid in seen[:: max(1, len(seen) // 10)]:
        assert len(table.scan(snapshot_id=sid)) == seq


def test_multiple_writers_example(tmp_path):
    code = example("Multiple writers", tmp_path)
    writers = [
        SPAWN.Process(target=run_example_function, args=(code, name, 10**6, 0))
        for name in ("writer_1", "writer_2")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=600)
    assert [w.exitcode for w in writers] == [0, 0]
    found = rows(tmp_path / "multiwriter_table", "source", "record_id")
    assert found == [("writer1", i) for i in range(100)] + [("writer2", i) for i in range(100)]
    stats = open_table(tmp_path / "multiwriter_table").stats()
    assert stats.records == 200
    assert stats.table_commits == 200


def test_retry_logic_example(tmp_path):
    ns = run("Retry logic", tmp_path)
    assert rows(tmp_path / "retry_table", "record_id", "data") == [(1, "example")]
    assert ns["safe_write_with_retry"](ns["table"], [{"record_id": 2, "data": "again"}], ns["retry_schema"]) is True


def lose_first_races(monkeypatch, path, count):
    """Table.append_records loses its first `count` commits to another process
    that commits between its read and its commit (the library's version check
    raises ConcurrentModificationException)."""
    original = datashard.Table.append_records
    lost = []

    def append_records(table, records=None, schema=None, partition_values=None):
        if len(lost) < count:
            lost.append(1)
            snapshot = table.current_snapshot()
            expected = snapshot.snapshot_id if snapshot else datashard.NO_SNAPSHOT
            with table.new_transaction(expected_snapshot_id=expected) as tx:
                tx.append_data(records=records, schema=schema, partition_values=partition_values)
                commit_from_another_process(path, {"record_id": -len(lost), "data": "other"})
                return tx.commit()
        return original(table, records=records, schema=schema, partition_values=partition_values)

    monkeypatch.setattr(datashard.Table, "append_records", append_records)


def test_retry_logic_example_backs_off_through_real_conflicts(tmp_path, monkeypatch):
    path = tmp_path / "retry_table"
    lose_first_races(monkeypatch, path, 3)
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    run("Retry logic", tmp_path)
    assert rows(path, "record_id", "data") == [(-3, "other"), (-2, "other"), (-1, "other"), (1, "example")]
    assert len(slept) == 3
    for attempt, seconds in enumerate(slept):
        assert 0.01 * 2**attempt <= seconds <= 0.01 * 2**attempt + 0.01


def test_retry_logic_example_gives_up_after_max_retries(tmp_path, monkeypatch):
    path = tmp_path / "retry_table"
    lose_first_races(monkeypatch, path, 5)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    with pytest.raises(ConcurrentModificationException):
        run("Retry logic", tmp_path)
    assert rows(path, "record_id") == [(-5,), (-4,), (-3,), (-2,), (-1,)]


def test_batch_operations_example(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    ns = run("Batch operations", tmp_path)
    table = ns["table"]
    assert rows(tmp_path / "batch_table", "record_id", "batch_data") == [
        (i, f"data_{i}") for i in range(1000)
    ]
    history = table.history()
    assert len(history) == 10
    assert [s.summary["added-records"] for s in history] == ["100"] * 10


def test_transaction_scope_example(tmp_path):
    ns = run(
        "Transaction scope",
        tmp_path,
        process_record=lambda r: dict(r, value=r["value"].upper()),
        expensive_processing=lambda r: dict(r, value=r["value"] * 2),
    )
    table, schema = ns["table"], ns["scope_schema"]
    assert ns["good_example"](table, [{"record_id": 1, "value": "a"}], schema) is True
    assert ns["bad_example"](table, [{"record_id": 2, "value": "b"}], schema) is True
    assert rows(tmp_path / "scope_table", "record_id", "value") == [(1, "A"), (2, "bb")]


def test_monitoring_example(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    run("Monitoring concurrency", tmp_path)
    assert rows(tmp_path / "monitor_table", "record_id", "data") == [(1, "monitored")]
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert caplog.records[0].getMessage().endswith("s, with 0 retries")


def test_monitoring_example_logs_real_conflicts(tmp_path, caplog, monkeypatch):
    path = tmp_path / "monitor_table"
    lose_first_races(monkeypatch, path, 2)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    caplog.set_level(logging.INFO)
    ns = run("Monitoring concurrency", tmp_path)
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[:2] == [
        ("WARNING", "Transaction conflict, retry 1/5"),
        ("WARNING", "Transaction conflict, retry 2/5"),
    ]
    assert messages[2][0] == "INFO" and messages[2][1].endswith("s, with 2 retries")
    stats = ns["table"].stats()
    assert (stats.commits, stats.conflicts) == (1, 2)  # what the example's handle saw
    assert rows(path, "record_id") == [(-2,), (-1,), (1,)]


def coordinated_writer(code, lock_url, process_id, count):
    """Child process: the leader/follower example with a LockManager behind
    try_acquire_lock/release_lock."""
    manager = LockManager(lock_url)

    def try_acquire_lock(lock_file, owner):
        return manager.try_acquire(lock_file.strip("/"), owner=owner, ttl=60) is not None

    def release_lock(lock_file, owner):
        manager.release(lock_file.strip("/"), owner=owner)

    namespace = {"__name__": "example", "try_acquire_lock": try_acquire_lock, "release_lock": release_lock}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    for i in range(count):
        record = [{"record_id": process_id * 1000 + i, "data": f"p{process_id}"}]
        assert namespace["coordinated_write"](namespace["table"], record, namespace["leader_schema"], str(process_id))


def test_leader_follower_example(tmp_path):
    code = example("Leader/follower pattern", tmp_path)
    url = f"sqlite:{tmp_path / 'locks.db'}"
    processes = [SPAWN.Process(target=coordinated_writer, args=(code, url, p, 10)) for p in (1, 2, 3)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=600)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert rows(tmp_path / "leader_table", "record_id") == [
        (p * 1000 + i,) for p in (1, 2, 3) for i in range(10)
    ]
    # Writers took turns: no commit ever needed a retry.
    assert open_table(tmp_path / "leader_table").stats().table_retries == 0
    assert LockManager(url).list() == []


def test_partition_aware_writing_example(tmp_path):
    ns = run("Partition-aware writing", tmp_path)
    assert rows(tmp_path / "partitioned_table", "record_id", "data", "partition") == [
        (1, "jan_data", "2024-01"),
        (2, "feb_data", "2024-02"),
    ]
    assert len(ns["table"].history()) == 2


def test_filtered_scans_example(tmp_path, capsys):
    ns = run("Filtered scans", tmp_path)
    assert capsys.readouterr().out == "[3]\n2\n[1]\n1\n"
    assert ns["batches"].metrics["data_files_considered"] == 2
    assert ns["batches"].metrics["rows_returned"] == 1
