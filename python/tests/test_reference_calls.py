"""The Python calls that datashard's upstream concurrency guide makes, one
shape at a time, each checked by its outcome: what a scan reads back, how
many rows and snapshots there are, which snapshot ids change. Users write
these calls as the guide shows them (DESIGN.md §1), so each shape is kept
working here even where docs/python.md shows other ways.

Where the guide catches ConcurrentModificationException, the conflict here
is real: another process commits between a transaction's start and its
commit, and the library's own check refuses the commit (snippets.py)."""

import multiprocessing
import os

import pytest

from datashard import (
    ConcurrentModificationException,
    InvalidArgument,
    Schema,
    create_table,
    open_table,
)

from snippets import (
    append_one_at_a_time,
    appends_lose_races,
    commit_from_another_process,
    transactions_lose_races,
)

SPAWN = multiprocessing.get_context("spawn")


def kiosk_schema():
    """Two required columns, written the way the guide writes schemas."""
    return Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "kiosk", "type": "string", "required": True},
        ],
    )


def month_schema():
    """A schema with a column named "partition", as the guide's partitioned example has."""
    return Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "reading", "type": "string", "required": True},
            {"id": 3, "name": "partition", "type": "string", "required": True},
        ],
    )


def pairs(table, snapshot_id=None):
    return sorted((r["record_id"], r["kiosk"]) for r in table.scan(snapshot_id=snapshot_id))


def test_schema_of_required_fields():
    schema = kiosk_schema()
    assert schema.schema_id == 1
    assert schema.names == ["record_id", "kiosk"]
    assert schema.field("record_id") == {"id": 1, "name": "record_id", "required": True, "type": "long"}
    assert schema.field("kiosk")["required"] is True
    assert schema == kiosk_schema()


def test_create_table_with_a_path_string_and_a_schema(tmp_path):
    path = str(tmp_path / "kiosks")
    table = create_table(path, kiosk_schema())
    assert table.table_path == path
    assert table.schema == kiosk_schema()
    assert table.current_snapshot() is None
    assert table.scan() == []


def test_transaction_block_with_keyword_append_data_and_commit(tmp_path):
    schema = kiosk_schema()
    table = create_table(str(tmp_path / "kiosks"), schema)
    with table.new_transaction() as tx:
        tx.append_data(records=[{"record_id": 41, "kiosk": "station-hall"}], schema=schema)
        success = tx.commit()
    assert success is True
    snapshot = table.current_snapshot()
    assert snapshot is not None and snapshot.parent_snapshot_id is None
    assert snapshot.operation == "append" and snapshot.summary["added-records"] == "1"
    assert pairs(table) == [(41, "station-hall")]


def test_create_table_again_opens_the_existing_table(tmp_path):
    path = str(tmp_path / "kiosks")
    first = create_table(path, kiosk_schema())
    first.append_records(records=[{"record_id": 1, "kiosk": "north"}], schema=kiosk_schema())
    again = create_table(path, kiosk_schema())  # an equal, separately built schema
    assert again.current_snapshot() == first.current_snapshot()
    with again.new_transaction() as tx:
        tx.append_data(records=[{"record_id": 2, "kiosk": "south"}], schema=kiosk_schema())
        assert tx.commit() is True
    assert pairs(first) == [(1, "north"), (2, "south")]


def test_commit_result_used_in_an_if_then_break_inside_the_block(tmp_path):
    schema = kiosk_schema()
    table = create_table(str(tmp_path / "kiosks"), schema)
    attempts = 0
    for _ in range(3):
        attempts += 1
        with table.new_transaction() as tx:
            tx.append_data(records=[{"record_id": 5, "kiosk": "east"}], schema=schema)
            result = tx.commit()
            if result:
                break
    assert attempts == 1
    assert pairs(table) == [(5, "east")]
    assert len(table.history()) == 1


def test_rows_built_inside_the_block_and_commit_returned_from_it(tmp_path):
    schema = kiosk_schema()
    table = create_table(str(tmp_path / "kiosks"), schema)

    def write(raw):
        with table.new_transaction() as tx:
            prepared = []
            for number, name in raw:
                prepared.append({"record_id": number, "kiosk": name.upper()})
            tx.append_data(records=prepared, schema=schema)
            return tx.commit()

    assert write([(1, "west"), (2, "quay")]) is True
    assert pairs(table) == [(1, "WEST"), (2, "QUAY")]
    assert table.current_snapshot().summary["added-records"] == "2"


def test_conflicting_transaction_is_caught_and_started_again(tmp_path, monkeypatch):
    schema = kiosk_schema()
    path = tmp_path / "kiosks"
    table = create_table(str(path), schema)
    transactions_lose_races(
        monkeypatch, path, [{"record_id": 900, "kiosk": "rival"}, {"record_id": 901, "kiosk": "rival"}]
    )
    caught = []
    for attempt in range(5):
        try:
            with table.new_transaction() as tx:
                tx.append_data(records=[{"record_id": 7, "kiosk": "mine"}], schema=schema)
                result = tx.commit()
                if result:
                    break
        except ConcurrentModificationException as conflict:
            caught.append((attempt, conflict.current_snapshot_id))
    rival_snapshots = [s.snapshot_id for s in table.history()][:2]
    assert caught == [(0, rival_snapshots[0]), (1, rival_snapshots[1])]
    assert pairs(table) == [(7, "mine"), (900, "rival"), (901, "rival")]
    assert table.current_snapshot().parent_snapshot_id == rival_snapshots[1]
    # The refused attempts deleted their data files: one file per committed append.
    assert len(list((path / "data").rglob("*.parquet"))) == 3


def test_conflict_raised_by_commit_leaves_the_with_block(tmp_path, monkeypatch):
    schema = kiosk_schema()
    path = tmp_path / "kiosks"
    table = create_table(str(path), schema)
    table.append_records(records=[{"record_id": 1, "kiosk": "base"}], schema=schema)
    base = table.current_snapshot().snapshot_id
    transactions_lose_races(monkeypatch, path, [{"record_id": 2, "kiosk": "rival"}])
    after_commit = []
    with pytest.raises(ConcurrentModificationException) as info:
        with table.new_transaction() as tx:
            tx.append_data(records=[{"record_id": 3, "kiosk": "lost"}], schema=schema)
            tx.commit()
            after_commit.append(True)
    assert after_commit == []
    current = table.current_snapshot().snapshot_id
    assert (info.value.base_snapshot_id, info.value.current_snapshot_id) == (base, current)
    assert current != base
    assert pairs(table) == [(1, "base"), (2, "rival")]


def test_append_records_positional_and_keyword(tmp_path):
    schema = kiosk_schema()
    table = create_table(str(tmp_path / "kiosks"), schema)
    ids = []
    records = [{"record_id": 10, "kiosk": "a"}]
    assert table.append_records(records, schema) is True
    ids.append(table.current_snapshot().snapshot_id)
    success = table.append_records(records=[{"record_id": 11, "kiosk": "b"}], schema=schema)
    assert success is True
    ids.append(table.current_snapshot().snapshot_id)
    result = table.append_records(records=[{"record_id": 12, "kiosk": "c"}, {"record_id": 13, "kiosk": "d"}], schema=schema)
    assert result
    ids.append(table.current_snapshot().snapshot_id)
    assert len(set(ids)) == 3
    history = table.history()
    assert [s.snapshot_id for s in history] == ids
    assert [s.parent_snapshot_id for s in history] == [None, ids[0], ids[1]]
    assert [s.summary["added-records"] for s in history] == ["1", "1", "2"]
    assert pairs(table) == [(10, "a"), (11, "b"), (12, "c"), (13, "d")]
    assert pairs(table, snapshot_id=ids[0]) == [(10, "a")]


def test_append_records_conflict_is_caught_and_retried(tmp_path, monkeypatch):
    schema = kiosk_schema()
    path = tmp_path / "kiosks"
    table = create_table(str(path), schema)
    appends_lose_races(monkeypatch, path, [{"record_id": 800 + i, "kiosk": "rival"} for i in range(3)])

    def keep_trying(records, limit):
        for attempt in range(limit):
            try:
                return table.append_records(records=records, schema=schema), attempt
            except ConcurrentModificationException:
                if attempt == limit - 1:
                    raise
        return False, limit

    assert keep_trying([{"record_id": 1, "kiosk": "mine"}], limit=5) == (True, 3)
    assert pairs(table) == [(1, "mine"), (800, "rival"), (801, "rival"), (802, "rival")]
    assert table.stats().conflicts == 3

    appends_lose_races(monkeypatch, path, [{"record_id": 810 + i, "kiosk": "rival"} for i in range(2)])
    with pytest.raises(ConcurrentModificationException):
        keep_trying([{"record_id": 2, "kiosk": "mine"}], limit=2)
    assert [r for r in pairs(table) if r[1] == "mine"] == [(1, "mine")]
    assert table.count() == 6


def test_current_snapshot_sees_commits_of_other_processes(tmp_path):
    schema = kiosk_schema()
    path = tmp_path / "kiosks"
    table = create_table(str(path), schema)
    table.append_records(records=[{"record_id": 1, "kiosk": "here"}], schema=schema)
    before = table.current_snapshot()
    commit_from_another_process(path, {"record_id": 2, "kiosk": "there"})
    after = table.current_snapshot()  # no refresh() needed
    assert after.snapshot_id != before.snapshot_id
    assert (after.parent_snapshot_id, after.sequence_number) == (before.snapshot_id, before.sequence_number + 1)
    assert pairs(table, snapshot_id=before.snapshot_id) == [(1, "here")]
    assert pairs(table, snapshot_id=after.snapshot_id) == [(1, "here"), (2, "there")]


def test_polling_current_snapshot_while_another_process_appends(tmp_path):
    schema = kiosk_schema()
    path = str(tmp_path / "kiosks")
    table = create_table(path, schema)
    records = [{"record_id": i, "kiosk": "busy"} for i in range(30)]
    writer = SPAWN.Process(target=append_one_at_a_time, args=(path, schema, records))
    writer.start()
    observed = []
    while writer.is_alive() or not observed or observed[-1][0] < 30:
        snapshot = table.current_snapshot()
        if snapshot is not None:
            count = len(table.scan(snapshot_id=snapshot.snapshot_id))
            observed.append((snapshot.sequence_number, count, int(snapshot.summary["total-records"])))
        if not writer.is_alive() and writer.exitcode != 0:
            break
    writer.join(timeout=600)
    assert writer.exitcode == 0
    assert all(seq == count == total for seq, count, total in observed)
    assert [o[0] for o in observed] == sorted(o[0] for o in observed)
    assert observed[-1] == (30, 30, 30)
    assert pairs(table) == [(i, "busy") for i in range(30)]


def test_two_processes_append_the_same_record_ids(tmp_path):
    schema = kiosk_schema()
    path = str(tmp_path / "kiosks")
    writers = [
        SPAWN.Process(
            target=append_one_at_a_time,
            args=(path, schema, [{"record_id": i, "kiosk": name} for i in range(40)]),
        )
        for name in ("left", "right")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=600)
    assert [w.exitcode for w in writers] == [0, 0]
    table = open_table(path)
    assert sorted((k, i) for i, k in pairs(table)) == [(k, i) for k in ("left", "right") for i in range(40)]
    stats = table.stats()
    assert (stats.records, stats.table_commits) == (80, 80)


def test_a_thousand_records_in_batches_of_a_hundred(tmp_path):
    schema = kiosk_schema()
    table = create_table(str(tmp_path / "kiosks"), schema)
    everything = [{"record_id": i, "kiosk": f"k{i % 7}"} for i in range(1000)]
    outcomes = []
    for offset in range(0, len(everything), 100):
        outcomes.append(table.append_records(records=everything[offset : offset + 100], schema=schema))
    assert outcomes == [True] * 10
    assert [s.summary["added-records"] for s in table.history()] == ["100"] * 10
    assert table.count() == 1000
    assert pairs(table) == sorted((r["record_id"], r["kiosk"]) for r in everything)


def test_partition_values_keyword_on_a_table_without_a_spec(tmp_path):
    schema = month_schema()
    table = create_table(str(tmp_path / "monthly"), schema)
    groups = {
        "2024-01": [{"record_id": 1, "reading": "cold", "partition": "2024-01"}],
        "2024-02": [
            {"record_id": 2, "reading": "mild", "partition": "2024-02"},
            {"record_id": 3, "reading": "wet", "partition": "2024-02"},
        ],
    }
    results = []
    for month, members in groups.items():
        with table.new_transaction() as tx:
            tx.append_data(records=members, schema=schema, partition_values={"partition": month})
            results.append(tx.commit())
    assert results == [True, True] and all(results)
    assert [s.summary["added-records"] for s in table.history()] == ["1", "2"]
    found = sorted((r["record_id"], r["reading"], r["partition"]) for r in table.scan())
    assert found == [(1, "cold", "2024-01"), (2, "mild", "2024-02"), (3, "wet", "2024-02")]

    version = table.metadata_version
    with pytest.raises(InvalidArgument):
        with table.new_transaction() as tx:
            tx.append_data(
                records=[{"record_id": 4, "reading": "odd", "partition": "2024-03"}],
                schema=schema,
                partition_values={"partition": "2024-01"},
            )
            tx.commit()
    assert table.metadata_version == version and table.count() == 3


def test_partition_values_keyword_on_a_partitioned_table(tmp_path):
    schema = month_schema()
    path = tmp_path / "monthly"
    table = create_table(str(path), schema, partition_spec="partition")
    with table.new_transaction() as tx:
        tx.append_data(
            records=[{"record_id": 1, "reading": "dry", "partition": "2024-01"}],
            schema=schema,
            partition_values={"partition": "2024-01"},
        )
        assert tx.commit() is True
    assert table.append_records(
        records=[{"record_id": 2, "reading": "snow", "partition": "2024-02"}],
        schema=schema,
        partition_values={"partition": "2024-02"},
    )
    assert sorted(p.name for p in (path / "data").iterdir()) == ["partition=2024-01", "partition=2024-02"]
    assert table.count(filter="partition = '2024-02'") == 1


def test_table_path_is_an_absolute_string(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = create_table("relative/kiosks", kiosk_schema())
    assert isinstance(table.table_path, str)
    assert table.table_path == os.path.join(os.getcwd(), "relative", "kiosks")
    assert f"lock_{table.table_path}".endswith("/relative/kiosks")
