"""`python3 -m datashard` runs the command-line tool on the tables the
Python API writes, and the other way round."""

import json
import subprocess
import sys

from datashard import open_table


def cli(*args, stdin=None):
    result = subprocess.run(
        [sys.executable, "-m", "datashard", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_reads_what_python_wrote_and_python_reads_what_the_cli_wrote(tmp_path, events_schema):
    path = tmp_path / "t"
    cli("create", path, "--schema", events_schema.to_json())
    table = open_table(path)
    assert table.schema.fields == events_schema.fields
    table.append_records(records=[{"record_id": i, "value": f"v{i}"} for i in range(3)], schema=events_schema)
    assert cli("count", path) == "3\n"
    new_id = int(cli("append", path, "-", stdin='{"record_id": 10, "value": "cli"}\n').strip())
    assert table.current_snapshot().snapshot_id == new_id
    assert sorted(r["record_id"] for r in table.scan()) == [0, 1, 2, 10]
    history = json.loads(cli("history", path, "--json"))
    assert [h["snapshot_id"] for h in history] == [s.snapshot_id for s in table.history()]
    assert [h["operation"] for h in history] == ["append", "append"]
