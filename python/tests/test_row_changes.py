"""Row-level changes from Python: Transaction.delete / update / overwrite and
Table.delete / update, in both write modes, with the conflict rules."""

import pytest

from datashard import ConcurrentModificationException, InvalidArgument, create_table


def ids(table):
    return sorted(r["record_id"] for r in table.scan())


def rows(first, n):
    return [{"record_id": i, "value": f"v{i}"} for i in range(first, first + n)]


@pytest.fixture(params=["copy-on-write", "merge-on-read"])
def table(request, tmp_path, events_schema):
    t = create_table(
        tmp_path / "t",
        events_schema,
        properties={"write.delete.mode": request.param, "write.update.mode": request.param},
    )
    for k in range(3):
        t.append_records(rows(k * 10, 10))
    return t


def test_delete_update_and_overwrite(table):
    assert table.delete("record_id >= 5 and record_id < 12") == 7
    assert ids(table) == list(range(0, 5)) + list(range(12, 30))
    assert table.update({"value": "changed"}, "record_id < 2") == 2
    values = {r["record_id"]: r["value"] for r in table.scan()}
    assert values[0] == values[1] == "changed" and values[2] == "v2"
    with table.new_transaction() as tx:
        assert tx.overwrite("record_id >= 20", [{"record_id": 100, "value": "new"}]) == 10
        assert tx.commit()
    assert tx.committed_snapshot.summary["operation"] == "overwrite"
    assert ids(table) == list(range(0, 5)) + list(range(12, 20)) + [100]


def test_refusals_name_the_problem(table):
    with pytest.raises(InvalidArgument, match="no_such"):
        table.delete("no_such = 1")
    with pytest.raises(InvalidArgument, match="no_such"):
        table.update({"no_such": 1}, "record_id = 1")
    with pytest.raises(InvalidArgument, match="required column 'value'"):
        table.update({"value": None}, "record_id = 1")
    with table.new_transaction() as tx:
        tx.append_data(rows(50, 1))
        with pytest.raises(InvalidArgument, match="after appends"):
            tx.delete("record_id = 1")
    assert len(ids(table)) == 30


def test_changes_of_the_same_rows_conflict(table):
    first = table.new_transaction()
    second = table.new_transaction()
    assert first.delete("record_id = 3") == 1
    assert second.update({"value": "x"}, "record_id = 3") == 1
    assert first.commit()
    with pytest.raises(ConcurrentModificationException):
        second.commit()
    assert 3 not in ids(table)


def test_compact_keeps_the_rows(table):
    table.delete("record_id < 3")
    before = ids(table)
    report = table.compact()
    assert report["snapshot_id"] == table.current_snapshot().snapshot_id
    assert report["files_rewritten"] == 3 and report["files_written"] == 1
    assert report["rows"] == 27
    assert table.current_snapshot().operation == "replace"
    assert ids(table) == before
    assert table.compact()["snapshot_id"] is None
