"""Tables with an ingest log from Python (docs/ingest-log.md): the documented
calls work unchanged, reads see appends before any checkpoint, checkpoint()
folds them once, and many processes append at once."""

import multiprocessing

import pytest

from datashard import InvalidArgument, Schema, create_table, open_table

LOG = {"datashard.ingest-log.enabled": "true",
       "datashard.ingest-log.checkpoint-interval-ms": "1000000000"}
SCHEMA = Schema(schema_id=1, fields=[
    {"id": 1, "name": "record_id", "type": "long", "required": True},
    {"id": 2, "name": "writer", "type": "int", "required": True},
])


def test_appends_are_read_before_and_after_a_checkpoint(tmp_path):
    table = create_table(str(tmp_path / "t"), SCHEMA, properties=LOG)
    assert table.append_records(records=[{"record_id": i, "writer": 0} for i in range(3)],
                                schema=SCHEMA)
    with table.new_transaction() as tx:
        tx.append_data(records=[{"record_id": 3, "writer": 0}], schema=SCHEMA)
        tx.commit()
    assert table.current_snapshot() is None  # nothing folded yet
    assert sorted(r["record_id"] for r in table.scan()) == [0, 1, 2, 3]
    assert table.count(filter="record_id >= 2") == 2
    stats = table.stats()
    assert (stats.log_appends, stats.log_records, stats.log_rows, stats.records) == (2, 2, 4, 0)

    result = table.checkpoint()
    assert result["records"] == 2 and result["rows"] == 4 and result["data_files"] == 1
    snapshot = table.current_snapshot()
    assert snapshot.snapshot_id == result["snapshot_id"]
    assert sorted(r["record_id"] for r in table.scan(snapshot_id=snapshot.snapshot_id)) == [0, 1, 2, 3]
    assert table.checkpoint() == {"snapshot_id": None, "records": 0, "rows": 0, "data_files": 0}


def test_checkpoint_without_an_ingest_log_is_refused(tmp_path):
    table = create_table(str(tmp_path / "plain"), SCHEMA)
    with pytest.raises(InvalidArgument, match="ingest log"):
        table.checkpoint()


def _writer(path, writer, n):
    table = open_table(path)
    for i in range(n):
        table.append_records(records=[{"record_id": writer * 1000 + i, "writer": writer}],
                             schema=SCHEMA)


def test_processes_append_at_once_and_nothing_is_lost_or_repeated(tmp_path):
    path = str(tmp_path / "shared")
    create_table(path, SCHEMA, properties=LOG)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 200)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    table = open_table(path)
    want = sorted(w * 1000 + i for w in range(4) for i in range(200))
    assert sorted(r["record_id"] for r in table.scan()) == want
    table.checkpoint()
    snapshot = table.current_snapshot().snapshot_id
    assert sorted(r["record_id"] for r in table.scan(snapshot_id=snapshot)) == want
