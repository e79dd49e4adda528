"""Every ```python block of docs/python.md, run as written against real
tables in temporary folders, with its outcome checked exactly. Conflicts are
real: another process commits between a transaction's start and its commit,
and the library's version check refuses the commit."""

import logging
import multiprocessing
import re
import time

import pytest

from datashard import ConcurrentModificationException, LockManager, open_table

from snippets import (
    appends_lose_races,
    call_example_function,
    documented_examples,
    example,
    transactions_lose_races,
)

SPAWN = multiprocessing.get_context("spawn")


def run(title, folder, **names):
    namespace = {"__name__": "example", **names}
    exec(compile(example(title, folder), "docs/python.md", "exec"), namespace)
    return namespace


def rows(path, *columns):
    return sorted(tuple(r[c] for c in columns) for r in open_table(path).scan())


def start(code, function, *args, queue=None):
    process = SPAWN.Process(target=call_example_function, args=(code, function, args, queue))
    process.start()
    return process


def test_docs_hold_ten_examples():
    assert list(documented_examples()) == [
        "Writing in a transaction",
        "Read, decide, commit",
        "Readers during writes",
        "Several writers",
        "Retrying and measuring contention",
        "Bigger commits",
        "Short transactions",
        "Taking turns with a lock",
        "One partition per transaction",
        "Filtered scans",
    ]


def test_docs_show_no_placeholder_comments():
    for title, code in documented_examples().items():
        for comment in ("# Define schema", "# Usage", "# Example usage"):
            assert comment not in code, title


def test_writing_in_a_transaction(tmp_path, capsys):
    ns = run("Writing in a transaction", tmp_path)
    assert capsys.readouterr().out == "True 3\n2\n"
    path = tmp_path / "sensor_readings"
    assert rows(path, "sensor_id", "room", "celsius") == [(7, "lab", 21.5), (8, "hall", 19.0), (9, "lab", 22.25)]
    readings = ns["readings"]
    assert readings.table_path == str(path)
    assert [s.snapshot_id for s in readings.history()] == [ns["latest"].snapshot_id]
    assert ns["latest"].operation == "append" and ns["latest"].parent_snapshot_id is None
    assert ns["tx"].committed_snapshot == ns["latest"]


def test_writing_in_a_transaction_twice_opens_the_same_table(tmp_path, capsys):
    run("Writing in a transaction", tmp_path)
    ns = run("Writing in a transaction", tmp_path)  # create_table opens the existing table
    assert capsys.readouterr().out == "True 3\n2\nTrue 3\n4\n"
    assert len(ns["readings"].history()) == 2
    assert open_table(tmp_path / "sensor_readings").count() == 6


def test_read_decide_commit(tmp_path, capsys):
    ns = run("Read, decide, commit", tmp_path)
    assert capsys.readouterr().out == "shipped on attempt 1\n"
    assert rows(tmp_path / "order_events", "order_id", "status") == [(1001, "placed"), (1001, "shipped")]
    assert ns["orders"].stats().conflicts == 0


def test_read_decide_commit_sees_a_cancellation_committed_in_between(tmp_path, capsys, monkeypatch):
    path = tmp_path / "order_events"
    transactions_lose_races(monkeypatch, path, [{"order_id": 1001, "status": "cancelled"}])
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    ns = run("Read, decide, commit", tmp_path)
    # The first commit was refused; the second read saw the cancellation.
    assert capsys.readouterr().out == "cancelled, not shipped\n"
    assert slept == [0.04]
    assert rows(path, "order_id", "status") == [(1001, "cancelled"), (1001, "placed")]
    assert ns["orders"].stats().conflicts == 1
    # The refused attempt left no data file behind: one per committed append.
    assert len(list((path / "data").rglob("*.parquet"))) == 2


def test_read_decide_commit_ships_once_unrelated_changes_settle(tmp_path, capsys, monkeypatch):
    path = tmp_path / "order_events"
    others = [{"order_id": 2000 + i, "status": "placed"} for i in range(2)]
    transactions_lose_races(monkeypatch, path, others)
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    ns = run("Read, decide, commit", tmp_path)
    assert capsys.readouterr().out == "shipped on attempt 3\n"
    assert slept == [0.04, 0.08]
    assert rows(path, "order_id", "status") == [
        (1001, "placed"),
        (1001, "shipped"),
        (2000, "placed"),
        (2001, "placed"),
    ]
    shipped = ns["orders"].current_snapshot()
    assert shipped.sequence_number == 4 and shipped.summary["added-records"] == "1"


def test_read_decide_commit_gives_up(tmp_path, monkeypatch):
    path = tmp_path / "order_events"
    ns = run("Read, decide, commit", tmp_path)
    transactions_lose_races(monkeypatch, path, [{"order_id": 3000 + i, "status": "placed"} for i in range(5)])
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    with pytest.raises(RuntimeError, match="^order 1001 keeps changing; try again later$"):
        ns["ship"](1001)
    assert slept == [0.04, 0.08, 0.16, 0.32, 0.64]
    assert ns["orders"].stats().conflicts == 5
    assert open_table(path).count(filter="order_id >= 3000") == 5
    assert open_table(path).count(filter="status = 'shipped'") == 1  # from the example's own call


def test_readers_during_writes(tmp_path):
    code = example("Readers during writes", tmp_path)
    queue = SPAWN.Queue()
    writer = start(code, "track", 0, 40)
    reader = start(code, "report", 300, 0.005, queue=queue)
    totals = queue.get(timeout=600)
    reader.join(timeout=60)
    writer.join(timeout=600)
    assert (writer.exitcode, reader.exitcode) == (0, 0)
    path = tmp_path / "page_views"
    assert rows(path, "view_id", "page") == [(i, "/pricing") for i in range(40)]
    # Every snapshot the dashboard read was whole, and they only moved forward.
    assert totals and all(count == sequence for sequence, count in totals)
    sequences = [sequence for sequence, _ in totals]
    assert sequences == sorted(sequences)
    assert all(1 <= s <= 40 for s in sequences)
    # Run once more, after the writer: the dashboard sees all 40 views.
    ns = run("Readers during writes", tmp_path)
    assert ns["report"](2, 0) == [(40, 40), (40, 40)]


def test_several_writers(tmp_path):
    code = example("Several writers", tmp_path)
    tills = [start(code, "run_till", shop, 50) for shop in ("north", "south")]
    for till in tills:
        till.join(timeout=600)
    assert [till.exitcode for till in tills] == [0, 0]
    path = tmp_path / "till_receipts"
    assert rows(path, "shop", "receipt", "cents") == [
        (shop, n, 250 * n) for shop in ("north", "south") for n in range(1, 51)
    ]
    stats = open_table(path).stats()
    assert (stats.records, stats.table_commits) == (100, 100)
    # Appends of the two tills that met at the commit lock share a snapshot.
    assert 50 <= stats.snapshots <= 100


def test_retrying_and_measuring_contention(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="ingest")
    ns = run("Retrying and measuring contention", tmp_path)
    assert capsys.readouterr().out == "1 0 0\n"
    assert rows(tmp_path / "host_metrics", "host", "cpu") == [("db-1", 0.42), ("db-2", 0.17)]
    [record] = caplog.records
    assert record.levelname == "INFO"
    assert re.fullmatch(r"2 rows after 1 attempt\(s\), \d+\.\d{3}s", record.getMessage())
    assert ns["counters"].table_commits == 1


def test_retrying_and_measuring_contention_through_real_conflicts(tmp_path, capsys, caplog, monkeypatch):
    path = tmp_path / "host_metrics"
    appends_lose_races(monkeypatch, path, [{"host": "other", "cpu": float(i)} for i in range(2)])
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    caplog.set_level(logging.INFO, logger="ingest")
    ns = run("Retrying and measuring contention", tmp_path)
    assert capsys.readouterr().out == "1 0 2\n"
    table = ns["host_metrics"]
    others = [s.snapshot_id for s in table.history()][:2]
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[:2] == [
        ("WARNING", f"attempt 1/4 lost to snapshot {others[0]}"),
        ("WARNING", f"attempt 2/4 lost to snapshot {others[1]}"),
    ]
    assert messages[2][0] == "INFO" and messages[2][1].startswith("2 rows after 3 attempt(s), ")
    assert len(slept) == 2
    assert 0.02 <= slept[0] <= 0.04 and 0.04 <= slept[1] <= 0.08
    assert rows(path, "host", "cpu") == [("db-1", 0.42), ("db-2", 0.17), ("other", 0.0), ("other", 1.0)]
    # The refused commits published nothing; the one that succeeded recorded them.
    assert (table.stats().table_commits, table.stats().table_conflicts) == (3, 2)


def test_retrying_and_measuring_contention_gives_up(tmp_path, caplog, monkeypatch):
    path = tmp_path / "host_metrics"
    appends_lose_races(monkeypatch, path, [{"host": "other", "cpu": float(i)} for i in range(4)])
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    caplog.set_level(logging.INFO, logger="ingest")
    with pytest.raises(ConcurrentModificationException):
        run("Retrying and measuring contention", tmp_path)
    assert [r.levelname for r in caplog.records] == ["WARNING"] * 4
    assert caplog.records[-1].getMessage().startswith("attempt 4/4 lost to snapshot ")
    assert rows(path, "host") == [("other",)] * 4


def test_bigger_commits(tmp_path, capsys):
    ns = run("Bigger commits", tmp_path)
    assert capsys.readouterr().out == "4 1000\n"
    history = ns["archive"].history()
    assert [s.summary["added-records"] for s in history] == ["250"] * 4
    def by_time(found):
        return sorted(found, key=lambda row: row["taken_at"])

    assert by_time(ns["archive"].scan()) == ns["backlog"]
    first = ns["archive"].scan(snapshot_id=history[0].snapshot_id)
    assert by_time(first) == ns["backlog"][:250]


def test_short_transactions(tmp_path, capsys):
    run("Short transactions", tmp_path)
    assert capsys.readouterr().out == "['ada@example.org', 'grace@example.org']\n"
    assert rows(tmp_path / "signups", "user_id", "email") == [(17, "ada@example.org"), (18, "grace@example.org")]


def post_entries(code, worker, count):
    """Child process: the lock example's post(), `count` times."""
    namespace = {"__name__": "example"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    for i in range(count):
        entry = {"entry_id": worker * 100 + i, "account": f"acct-{worker}", "cents": i}
        assert namespace["post"](f"worker-{worker}", [entry]) is True


def test_taking_turns_with_a_lock(tmp_path):
    code = example("Taking turns with a lock", tmp_path)
    url = f"sqlite:{tmp_path / 'ledger-locks.db'}"
    assert url in code
    workers = [SPAWN.Process(target=post_entries, args=(code, w, 10)) for w in (1, 2, 3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=600)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    path = tmp_path / "ledger"
    assert rows(path, "entry_id", "account") == [(w * 100 + i, f"acct-{w}") for w in (1, 2, 3) for i in range(10)]
    # The writers took turns: no commit ever had to be rebased.
    stats = open_table(path).stats()
    assert (stats.table_commits, stats.table_retries) == (30, 0)
    assert LockManager(url).list() == []


def test_one_partition_per_transaction(tmp_path, capsys):
    ns = run("One partition per transaction", tmp_path)
    assert capsys.readouterr().out == "['month=2024-04', 'month=2024-05']\n"
    path = tmp_path / "monthly_visits"
    assert rows(path, "visit_id", "month", "url") == [
        (1, "2024-04", "/"),
        (2, "2024-04", "/docs"),
        (3, "2024-05", "/blog"),
    ]
    assert [s.summary["added-records"] for s in ns["visits"].history()] == ["2", "1"]
    assert ns["visits"].count(filter="month = '2024-05'") == 1


def test_filtered_scans(tmp_path, capsys):
    ns = run("Filtered scans", tmp_path)
    assert capsys.readouterr().out == "[3]\n2\n[1]\n1\n"
    assert ns["batches"].metrics["data_files_considered"] == 2
    assert ns["batches"].metrics["rows_returned"] == 1
