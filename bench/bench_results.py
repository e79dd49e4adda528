"""The measurements bench/measure.sh appended, read back by the bench row
scripts: DuckDB's rows (tests/interop/duckdb_run.mjs prints "wall cpu value"
of its statements alone) are charged less their start-up."""

import json
import statistics


def load(path):
    rows = [json.loads(line) for line in open(path)]
    for r in rows:
        if r["engine"] == "duckdb":
            wall, cpu, *value = r["out"].split(" ", 2)
            r["startup_wall"], r["startup_cpu"] = r["wall"] - float(wall), r["cpu"] - float(cpu)
            r["wall"], r["cpu"], r["out"] = float(wall), float(cpu), value[0] if value else ""
    return rows


def median(rows, kind, engine, key):
    """The median of `key` over the rows of `engine` (and `kind`, unless None)."""
    return statistics.median(
        r[key] for r in rows if (kind is None or r["kind"] == kind) and r["engine"] == engine)
