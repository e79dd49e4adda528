"""Schema evolution, property changes and snapshot expiry from Python
(Table.update_schema / set_properties / expire_snapshots) and the CLI's
`alter` and `expire`: outcomes, refusals, --json and exit codes."""

import datetime
import json
import os
import subprocess

import pytest

from datashard import (
    ConcurrentModificationException,
    InvalidArgument,
    NotFound,
    create_table,
    open_table,
)

CLI = os.environ.get("DATASHARD_CLI")


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


def rows(first, n):
    return [{"record_id": i, "value": f"v{i}"} for i in range(first, first + n)]


def test_update_schema_builder_and_old_rows(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema)
    t.append_records(rows(0, 2))
    new = (
        t.update_schema()
        .add_column("score", "int", doc="points")
        .widen_column("score", "long")
        .rename_column("value", "label")
        .commit()
    )
    assert new.schema_id == 2
    assert new.fields == [
        {"id": 1, "name": "record_id", "type": "long", "required": True},
        {"id": 2, "name": "label", "type": "string", "required": True},
        {"id": 3, "name": "score", "type": "long", "required": False, "doc": "points"},
    ]
    assert t.schema == new
    assert sorted(t.scan(), key=lambda r: r["record_id"]) == [
        {"record_id": 0, "label": "v0", "score": None},
        {"record_id": 1, "label": "v1", "score": None},
    ]
    with t.update_schema() as u:
        u.drop_column("score")
    assert t.schema.names == ["record_id", "label"]
    # A with-block that raises commits nothing.
    with pytest.raises(RuntimeError):
        with t.update_schema() as u:
            u.add_column("never", "long")
            raise RuntimeError("stop")
    assert t.schema.names == ["record_id", "label"]


def test_update_schema_refusals_name_the_column_and_rule(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema, partition_spec="bucket(4, record_id)")
    version = t.metadata_version
    with pytest.raises(InvalidArgument, match="cannot drop column 'record_id': it is the source of partition field"):
        t.update_schema().drop_column("record_id").commit()
    with pytest.raises(InvalidArgument, match="cannot widen column 'value' from string to long: Iceberg allows only"):
        t.update_schema().widen_column("value", "long").commit()
    with pytest.raises(InvalidArgument, match="no column of that name"):
        t.update_schema().rename_column("nope", "x").commit()
    with pytest.raises(InvalidArgument, match="not a known type|type"):
        t.update_schema().add_column("x", "longer")
    u = t.update_schema().add_column("x", "long")
    u.commit()
    with pytest.raises(InvalidArgument, match="already committed"):
        u.commit()
    t.refresh()
    assert t.metadata_version == version + 1


def test_append_rebases_over_a_concurrent_schema_change(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema)
    with t.new_transaction() as tx:
        tx.append_data(records=rows(0, 2), schema=events_schema)
        open_table(tmp_path / "t").update_schema().add_column("extra", "double").commit()
        assert tx.commit()
    assert sorted(r["record_id"] for r in t.scan()) == [0, 1]
    assert all(r["extra"] is None for r in t.scan())


def test_row_change_conflicts_with_a_concurrent_schema_change(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema)
    t.append_records(rows(0, 3))
    tx = t.new_transaction()
    assert tx.delete("record_id = 1") == 1
    open_table(tmp_path / "t").update_schema().add_column("extra", "double").commit()
    with pytest.raises(ConcurrentModificationException):
        tx.commit()


def test_set_properties(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema)
    t.set_properties({"owner": "ops", "commit.retry.num-retries": 5})
    assert t.properties["owner"] == "ops"
    assert t.properties["commit.retry.num-retries"] == "5"
    t.set_properties(remove=["owner"])
    assert "owner" not in t.properties
    with pytest.raises(InvalidArgument, match="commit.retry.num-retries"):
        t.set_properties({"commit.retry.num-retries": "lots"})


def test_expire_snapshots_keeps_the_newest_and_deletes_removed_files(tmp_path, events_schema):
    t = create_table(
        tmp_path / "t",
        events_schema,
        properties={
            "datashard.expire.delete-grace-ms": "0",
            "history.expire.min-snapshots-to-keep": "100",
            "write.delete.mode": "copy-on-write",
        },
    )
    for k in range(3):
        t.append_records(rows(k * 10, 10))
    t.refresh()
    first = t.history()[0]
    assert t.delete("record_id < 10") == 10  # drops the first append's file
    t.refresh()
    snapshots = [s.snapshot_id for s in t.history()]
    data = tmp_path / "t" / "data"
    assert len(list(data.glob("*.parquet"))) == 3

    report = t.expire_snapshots(older_than=datetime.timedelta(0), retain_last=2)
    assert report["expired_snapshot_ids"] == sorted(snapshots[:2])
    assert report["kept_snapshots"] == 2
    assert report["manifest_lists"] == 2
    assert report["data_files"] == 0  # the removed file is live in the oldest kept snapshot
    assert [s.snapshot_id for s in t.history()] == snapshots[2:]
    assert not os.path.exists(first.manifest_list)
    with pytest.raises(NotFound, match="expired or never existed"):
        t.scan(snapshot_id=first.snapshot_id)
    assert sorted(r["record_id"] for r in t.scan(snapshot_id=snapshots[2])) == list(range(30))

    report = t.expire_snapshots(older_than=0, retain_last=1)
    assert report["expired_snapshot_ids"] == [snapshots[2]]
    assert report["data_files"] == 1
    assert report["grace_ms"] == 0
    assert len(list(data.glob("*.parquet"))) == 2
    assert sorted(r["record_id"] for r in t.scan()) == list(range(10, 30))
    assert t.verify()["ok"]
    with pytest.raises(InvalidArgument):
        t.expire_snapshots(retain_last=0)
    with pytest.raises(InvalidArgument):
        t.expire_snapshots(older_than="1h")


def test_cli_alter_and_expire(tmp_path, events_schema):
    path = tmp_path / "t"
    assert run("create", path, "--schema", events_schema.to_json(), "--property",
               "datashard.expire.delete-grace-ms=0").returncode == 0
    for k in range(3):
        r = subprocess.run([CLI, "append", str(path)], input=f'{{"record_id": {k}, "value": "v"}}\n',
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    r = run("alter", path, "add-column", "score", "long", "--doc", "points")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\n"  # a field list creates schema 0
    r = run("alter", path, "--json", "rename-column", "score", "points")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["schema_id"] == 2
    assert out["schema"][2] == {"id": 3, "name": "points", "type": "long", "required": False, "doc": "points"}
    r = run("alter", path, "widen-column", "value", "long")
    assert r.returncode == 2
    assert "cannot widen column 'value' from string to long" in r.stderr
    r = run("alter", path, "drop-column", "missing")
    assert r.returncode == 2 and "no column of that name" in r.stderr
    r = run("alter", path, "--json", "set-property", "owner=ops")
    assert r.returncode == 0 and json.loads(r.stdout)["properties"]["owner"] == "ops"
    assert run("alter", path, "set-property", "nokey").returncode == 2
    assert run("alter", path).returncode == 2  # no operation
    r = run("expire", path, "--older-than", "0s", "--retain-last", "1", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["expired_snapshot_ids"]) == 2
    assert out["kept_snapshots"] == 1
    assert out["manifest_lists"] == 2
    assert out["grace_ms"] == 0
    r = run("expire", path, "--older-than", "0s", "--retain-last", "1")
    assert r.returncode == 0 and r.stdout == ""
    assert "expired 0 snapshots, kept 1" in r.stderr
    assert run("expire", path, "--older-than", "10x").returncode == 2
    assert run("expire", path, "--retain-last", "0").returncode == 2
    assert run("verify", path).returncode == 0
    assert run("count", path).stdout == "3\n"


def test_moves_reorder_columns_and_old_rows_follow(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema)
    t.append_records(rows(0, 2))
    new = t.update_schema().add_column("score", "long").move_first("score").commit()
    assert new.names == ["score", "record_id", "value"]
    t.append_records([{"record_id": 2, "value": "v2", "score": 20}])
    assert [list(r) for r in t.scan()][0] == ["score", "record_id", "value"]
    with t.update_schema() as u:
        u.move_after("score", "value").move_before("value", "record_id")
    assert t.schema.names == ["value", "record_id", "score"]
    assert sorted(t.scan(), key=lambda r: r["record_id"]) == [
        {"value": "v0", "record_id": 0, "score": None},
        {"value": "v1", "record_id": 1, "score": None},
        {"value": "v2", "record_id": 2, "score": 20},
    ]
    with pytest.raises(InvalidArgument, match="cannot move column 'value' after 'value': a column cannot move relative to itself"):
        t.update_schema().move_after("value", "value").commit()
    with pytest.raises(InvalidArgument, match="cannot move column 'nope': the table has no column of that name"):
        t.update_schema().move_first("nope").commit()


def test_update_spec_new_appends_use_it_and_old_files_keep_theirs(tmp_path, events_schema):
    t = create_table(tmp_path / "t", events_schema, partition_spec="bucket(4, record_id)")
    t.append_records(rows(0, 8))
    spec = t.update_spec().add_field("value").remove_field("record_id_bucket").commit()
    assert spec.spec_id == 1
    assert t.spec == spec
    assert spec.fields == [{"source_id": 2, "field_id": 1001, "name": "value", "transform": "identity"}]
    t.append_records(rows(8, 4))
    assert sorted(r["record_id"] for r in t.scan()) == list(range(12))
    assert t.count(filter="value = 'v9'") == 1
    with t.update_spec() as u:
        u.add_field("record_id", "bucket[8]", "rb")
    assert [f["name"] for f in t.spec.fields] == ["value", "rb"]
    with pytest.raises(InvalidArgument, match="cannot remove partition field 'nope': the default spec has no field of that name"):
        t.update_spec().remove_field("nope").commit()
    with pytest.raises(InvalidArgument, match="unknown partition transform"):
        t.update_spec().add_field("value", "weekly")
    assert t.verify()["ok"]


def test_cli_move_column_and_partition_fields(tmp_path, events_schema):
    path = tmp_path / "t"
    assert run("create", path, "--schema", events_schema.to_json(), "--partition-by",
               "bucket(2,record_id)").returncode == 0
    r = subprocess.run([CLI, "append", str(path)], input='{"record_id": 1, "value": "a"}\n',
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = run("alter", path, "move-column", "value", "first")
    assert r.returncode == 0 and r.stdout == "1\n", r.stderr
    r = run("alter", path, "--json", "move-column", "value", "after", "record_id")
    assert r.returncode == 0, r.stderr
    assert [f["name"] for f in json.loads(r.stdout)["schema"]] == ["record_id", "value"]
    assert run("alter", path, "move-column", "value", "before").returncode == 2
    assert run("alter", path, "move-column", "value", "first", "record_id").returncode == 2
    assert run("alter", path, "move-column", "value", "last").returncode == 2
    r = run("alter", path, "add-partition-field", "truncate(1,value)")
    assert r.returncode == 0 and r.stdout == "1\n", r.stderr
    r = run("alter", path, "--json", "remove-partition-field", "record_id_bucket")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["spec_id"] == 2
    assert out["spec"] == [{"name": "value_trunc", "transform": "truncate[1]", "source-id": 2, "field-id": 1001}]
    r = run("alter", path, "add-partition-field", "day(value)")
    assert r.returncode == 2 and "day cannot apply to column 'value' of type string" in r.stderr
    r = run("alter", path, "add-partition-field", "record_id", "--name", "value_trunc")
    assert r.returncode == 2 and "the spec has a field of that name" in r.stderr
    r = subprocess.run([CLI, "append", str(path)], input='{"record_id": 2, "value": "b"}\n',
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert run("scan", path, "--where", "value = 'b'").stdout == '{"record_id":2,"value":"b"}\n'
    assert run("verify", path).returncode == 0
    help_text = run("alter", "--help").stdout
    for command in ("move-column", "add-partition-field", "remove-partition-field"):
        assert command in help_text
