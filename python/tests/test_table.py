"""The table API beyond the documented examples: create/open, snapshots,
history, time travel, scans, stats, transactions, threads, pickling."""

import concurrent.futures
import datetime
import decimal
import pickle
import threading
import uuid

import pytest

import datashard
from datashard import (
    AlreadyExists,
    ConcurrentModificationException,
    InvalidArgument,
    NO_SNAPSHOT,
    NotFound,
    Schema,
    create_table,
    load_table,
    open_table,
)

UTC = datetime.timezone.utc


def test_create_open_and_load(tmp_path, events_schema):
    path = tmp_path / "events"
    table = create_table(path, events_schema)
    assert table.table_path == str(path)
    assert table.schema.fields == events_schema.fields
    assert table.spec.is_unpartitioned
    assert table.current_snapshot() is None
    assert table.history() == []
    assert table.scan() == []
    assert repr(table) == f"Table('{path}')"
    assert open_table(str(path)).schema == table.schema
    assert load_table(path).table_path == str(path)
    # Same schema: opens the existing table.
    again = create_table(path, events_schema)
    again.append_records(records=[{"record_id": 1, "value": "a"}], schema=events_schema)
    assert len(table.scan()) == 1


def test_create_with_another_schema_is_a_clear_error(tmp_path, events_schema):
    path = tmp_path / "events"
    create_table(path, events_schema)
    other = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "value", "type": "int", "required": True},
        ],
    )
    with pytest.raises(AlreadyExists) as info:
        create_table(path, other)
    assert str(path) in str(info.value)
    assert "value" in str(info.value)


def test_open_missing_table_is_not_found(tmp_path):
    with pytest.raises(NotFound) as info:
        open_table(tmp_path / "nothing")
    assert isinstance(info.value, LookupError)
    assert "nothing" in str(info.value)


def test_relative_paths_become_absolute(tmp_path, events_schema, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = create_table("rel", events_schema)
    assert table.table_path == str(tmp_path / "rel")


def test_snapshots_history_and_time_travel(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    ids = []
    for i in range(3):
        assert table.append_records(records=[{"record_id": i, "value": str(i)}], schema=events_schema)
        ids.append(table.current_snapshot().snapshot_id)
    history = table.history()
    assert [s.snapshot_id for s in history] == ids
    assert [s.parent_snapshot_id for s in history] == [None, ids[0], ids[1]]
    assert [s.sequence_number for s in history] == [1, 2, 3]
    assert [s.operation for s in history] == ["append"] * 3
    assert [s.summary["total-records"] for s in history] == ["1", "2", "3"]
    assert all(s.timestamp_ms > 0 for s in history)
    assert table.snapshot(ids[1]) == history[1]
    assert table.snapshot(12345) is None
    assert "snapshot_id=%d" % ids[2] in repr(history[2])
    assert sorted(r["record_id"] for r in table.scan(snapshot_id=ids[1])) == [0, 1]
    as_of = history[1].timestamp_ms
    assert {r["record_id"] for r in table.scan(as_of=as_of)} <= {0, 1, 2}
    assert len(table.scan(as_of=datetime.datetime.now(UTC) + datetime.timedelta(days=1))) == 3
    with pytest.raises(NotFound, match="no snapshot as of"):
        table.scan(as_of=datetime.datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(NotFound):
        table.scan(snapshot_id=12345)
    with pytest.raises(InvalidArgument, match="not both"):
        table.scan(snapshot_id=ids[0], as_of=as_of)


def test_refresh_sees_other_handles_commits(tmp_path, events_schema):
    a = create_table(tmp_path / "t", events_schema)
    b = open_table(tmp_path / "t")
    b.append_records(records=[{"record_id": 1, "value": "x"}], schema=events_schema)
    assert a.history() == []  # as last loaded
    a.refresh()
    assert len(a.history()) == 1
    assert a.metadata_version == b.metadata_version


ALL_TYPES = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "b", "type": "boolean"},
        {"id": 2, "name": "i", "type": "int"},
        {"id": 3, "name": "l", "type": "long", "required": True},
        {"id": 4, "name": "f", "type": "float"},
        {"id": 5, "name": "d", "type": "double"},
        {"id": 6, "name": "dec", "type": "decimal(38, 9)"},
        {"id": 7, "name": "day", "type": "date"},
        {"id": 8, "name": "t", "type": "time"},
        {"id": 9, "name": "ts", "type": "timestamp"},
        {"id": 10, "name": "tstz", "type": "timestamptz"},
        {"id": 11, "name": "s", "type": "string"},
        {"id": 12, "name": "u", "type": "uuid"},
        {"id": 13, "name": "fx", "type": "fixed[3]"},
        {"id": 14, "name": "bin", "type": "binary"},
    ],
)


def test_every_type_round_trips(tmp_path):
    table = create_table(tmp_path / "types", ALL_TYPES)
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    row = {
        "b": False,
        "i": -(2**31),
        "l": -(2**63),
        "f": 1.5,
        "d": -0.1,
        "dec": decimal.Decimal("-12345678901234567890123456789.123456789"),
        "day": datetime.date(1, 1, 1),
        "t": datetime.time(23, 59, 59, 999999),
        "ts": datetime.datetime(1969, 12, 31, 23, 59, 59, 999999),
        "tstz": datetime.datetime(2024, 3, 1, 1, 30, tzinfo=plus_two),
        "s": "h\u00e9llo \U0001f600",
        "u": uuid.UUID("f79c3e09-677c-4bbd-a479-3f349cb785e7"),
        "fx": b"\x00\xff\x01",
        "bin": b"",
    }
    nulls = {"l": 7}
    table.append_records(records=[row, nulls], schema=ALL_TYPES)
    got = sorted(table.scan(), key=lambda r: r["l"])
    expected = dict(row, tstz=datetime.datetime(2024, 2, 29, 23, 30, tzinfo=UTC))
    assert got[0] == expected
    assert got[1] == {name: (7 if name == "l" else None) for name in ALL_TYPES.names}
    assert got[0]["tstz"].tzinfo == UTC
    assert type(got[0]["dec"]) is decimal.Decimal


def test_scan_columns_batches_and_pandas(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    table.append_records(records=[{"record_id": i, "value": f"v{i}"} for i in range(10)], schema=events_schema)
    assert table.scan(columns=["value"])[0].keys() == {"value"}
    batches = list(table.scan_batches(columns=["value", "record_id"], batch_size=4))
    assert [len(b["record_id"]) for b in batches] == [4, 4, 2]
    assert list(batches[0]) == ["value", "record_id"]
    assert sorted(sum((b["record_id"] for b in batches), [])) == list(range(10))
    with pytest.raises(InvalidArgument):
        table.scan_batches(batch_size=0)
    with pytest.raises(InvalidArgument):
        table.scan(columns="value")
    pandas = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert list(frame.columns) == ["record_id", "value"]
    assert sorted(frame["record_id"].tolist()) == list(range(10))
    empty = create_table(tmp_path / "empty", events_schema).to_pandas(columns=["value"])
    assert isinstance(empty, pandas.DataFrame) and list(empty.columns) == ["value"] and len(empty) == 0


def test_stats_count_commits(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    for i in range(3):
        table.append_records(records=[{"record_id": i, "value": "x"}, {"record_id": -i, "value": "y"}])
    stats = table.stats()
    assert (stats.commits, stats.retries, stats.conflicts, stats.unknown_outcomes) == (3, 0, 0, 0)
    assert stats.records == 6 and stats.data_files == 3 and stats.snapshots == 3
    assert stats.current_snapshot_id == table.current_snapshot().snapshot_id
    assert stats.table_commits == 3 and stats.bytes > 0
    assert stats.to_dict()["commits"] == 3
    assert open_table(tmp_path / "t").stats().commits == 0  # per handle, per process


def test_transaction_without_commit_is_discarded(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    with table.new_transaction() as tx:
        tx.append_data(records=[{"record_id": 1, "value": "a"}], schema=events_schema)
        assert tx.pending_records == 1
    assert table.current_snapshot() is None
    assert list((tmp_path / "t").rglob("*.parquet")) == []
    with pytest.raises(InvalidArgument, match="already finished"):
        tx.commit()


def test_exception_inside_the_block_aborts(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    with pytest.raises(RuntimeError, match="boom"):
        with table.new_transaction() as tx:
            tx.append_data(records=[{"record_id": 1, "value": "a"}], schema=events_schema)
            raise RuntimeError("boom")
    assert table.current_snapshot() is None
    assert list((tmp_path / "t").rglob("*.parquet")) == []


def test_transaction_commit_details(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    with table.new_transaction(commit_id="job-42", snapshot_properties={"source": "test"}) as tx:
        assert tx.base_snapshot_id is None
        tx.append_data(records=[{"record_id": 1, "value": "a"}])
        tx.append_data(records=[{"record_id": 2, "value": "b"}], schema=events_schema)
        assert tx.committed_snapshot is None
        assert tx.commit() is True
        assert tx.retries == 0 and tx.commit_id == "job-42"
    snapshot = table.current_snapshot()
    assert tx.committed_snapshot == snapshot
    assert snapshot.summary["datashard.commit-id"] == "job-42"
    assert snapshot.summary["source"] == "test"
    assert snapshot.summary["added-records"] == "2"
    with pytest.raises(InvalidArgument, match="already committed"):
        tx.append_data(records=[{"record_id": 3, "value": "c"}])


def test_expected_snapshot_id_is_an_optimistic_offline_lock(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    with table.new_transaction(expected_snapshot_id=NO_SNAPSHOT) as tx:
        tx.append_data(records=[{"record_id": 1, "value": "first"}])
        assert tx.commit()
    version = table.current_snapshot().snapshot_id
    # A business transaction read the table at `version`; meanwhile someone else commits.
    open_table(tmp_path / "t").append_records(records=[{"record_id": 2, "value": "other"}])
    with pytest.raises(ConcurrentModificationException) as info:
        with table.new_transaction(expected_snapshot_id=version) as tx:
            tx.append_data(records=[{"record_id": 3, "value": "stale"}])
            tx.commit()
    assert info.value.retries == 0
    assert info.value.current_snapshot_id == table.current_snapshot().snapshot_id
    assert sorted(r["record_id"] for r in table.scan()) == [1, 2]
    assert list(v for v in table.stats().to_dict().values()) and table.stats().conflicts == 1
    current = table.current_snapshot().snapshot_id
    with table.new_transaction(expected_snapshot_id=current) as tx:
        tx.append_data(records=[{"record_id": 3, "value": "fresh"}])
        assert tx.commit()
    assert sorted(r["record_id"] for r in table.scan()) == [1, 2, 3]


def test_threads_share_one_table(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    threads, per_thread = 4, 15

    def work(t):
        for i in range(per_thread):
            assert table.append_records(records=[{"record_id": t * 100 + i, "value": f"t{t}"}])
            table.current_snapshot()
        return t

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        assert sorted(pool.map(work, range(threads))) == list(range(threads))
    ids = sorted(r["record_id"] for r in table.scan())
    assert ids == sorted(t * 100 + i for t in range(threads) for i in range(per_thread))
    assert table.stats().commits == threads * per_thread


def test_one_transaction_used_from_two_threads_is_serialised(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    with table.new_transaction() as tx:
        barrier = threading.Barrier(2)

        def add(base):
            barrier.wait()
            for i in range(20):
                tx.append_data(records=[{"record_id": base + i, "value": "x"}])

        workers = [threading.Thread(target=add, args=(b,)) for b in (0, 100)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert tx.pending_records == 40
        tx.commit()
    assert len(table.scan()) == 40


def test_tables_pickle_as_their_path(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    table.append_records(records=[{"record_id": 1, "value": "a"}])
    clone = pickle.loads(pickle.dumps(table))
    assert clone.table_path == table.table_path
    assert clone.scan() == table.scan()


def test_partitioned_table(tmp_path):
    schema = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "id", "type": "long", "required": True},
            {"id": 2, "name": "ts", "type": "timestamp", "required": True},
        ],
    )
    table = create_table(tmp_path / "p", schema, partition_spec="day(ts)")
    assert table.spec.fields == [{"source_id": 2, "field_id": 1000, "name": "ts_day", "transform": "day"}]
    table.append_records(
        records=[
            {"id": 1, "ts": datetime.datetime(2024, 1, 1, 10)},
            {"id": 2, "ts": datetime.datetime(2024, 1, 2, 10)},
        ]
    )
    folders = sorted(p.parent.name for p in (tmp_path / "p" / "data").rglob("*.parquet"))
    assert folders == ["ts_day=2024-01-01", "ts_day=2024-01-02"]
    with pytest.raises(AlreadyExists):
        create_table(tmp_path / "p", schema)  # same schema, another spec
    with pytest.raises(InvalidArgument):
        create_table(tmp_path / "q", schema, partition_spec="bucket(0, id)")
    with pytest.raises(InvalidArgument, match="properties must be a dict"):
        create_table(tmp_path / "r", schema, properties=["x"])


def test_exceptions_hierarchy():
    for name in [
        "InvalidArgument",
        "SchemaMismatch",
        "NotFound",
        "AlreadyExists",
        "NotSupported",
        "ConcurrentModificationException",
        "CommitStateUnknown",
        "DeadlockDetected",
        "LockNotAcquired",
        "LockExpired",
        "StaleFencingToken",
        "Unavailable",
        "Corruption",
        "DatashardIOError",
    ]:
        cls = getattr(datashard, name)
        assert issubclass(cls, datashard.DatashardError), name
        assert cls.__module__ == "datashard"
    assert issubclass(datashard.InvalidArgument, ValueError)
    assert issubclass(datashard.SchemaMismatch, datashard.InvalidArgument)
    assert issubclass(datashard.NotFound, LookupError)
    assert issubclass(datashard.DatashardIOError, OSError)
    assert issubclass(datashard.Unavailable, ConnectionError)
    assert datashard.CommitConflict is datashard.ConcurrentModificationException
    error = pickle.loads(pickle.dumps(datashard.ConcurrentModificationException("lost")))
    assert str(error) == "lost" and error.retries == 0 and error.base_snapshot_id is None


def test_verify_reports_a_sound_table_and_names_a_missing_file(tmp_path, events_schema):
    table = create_table(tmp_path / "t", events_schema)
    for i in range(3):
        table.append_records(records=[{"record_id": i, "value": str(i)}], schema=events_schema)
    report = table.verify(deep=True)
    assert report["ok"] is True
    assert (report["snapshots"], report["data_files"], report["rows_decoded"]) == (3, 3, 3)
    assert report["problems"] == []
    victim = sorted((tmp_path / "t" / "data").iterdir())[0]
    victim.unlink()
    report = table.verify()
    assert report["ok"] is False
    assert report["problem_count"] == 1
    assert report["problems"] == [f"data file {victim} is missing"]
