"""gc and expire in a loop while writers commit and readers scan (issue 15):
real processes. Writers append through the Python module, readers scan, and
`datashard expire`, `gc` and `compact` run in loops with short grace periods,
while writers killed in the middle of a transaction leave orphan data files.
No committed file is ever deleted (every acknowledged row reads back exactly
once, every scan succeeds and only grows, verify passes), no writer or reader
fails, and gc deletes the killed writers' orphans."""

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

from datashard import Schema, create_table, open_table

CLI = os.environ.get("DATASHARD_CLI")
SPAWN = multiprocessing.get_context("spawn")
SECONDS = 12
WRITERS, READERS, KILLED_WRITERS = 3, 2, 4
PROPERTIES = {
    # gc deletes unreferenced files 3 s old; a commit gives up after 1.5 s,
    # so that a transaction may take up to 1.5 s from its first file.
    "datashard.gc.grace-ms": "3000",
    "commit.retry.total-timeout-ms": "1500",
    # Files expiry retired go 1 s after the expiring commit.
    "datashard.expire.delete-grace-ms": "1000",
    "commit.manifest.min-count-to-merge": "4",
}
SCHEMA = [
    {"id": 1, "name": "writer", "type": "int", "required": True},
    {"id": 2, "name": "seq", "type": "long", "required": True},
    {"id": 3, "name": "row", "type": "int", "required": True},
]


def writer(path, w, seconds, queue):
    table = open_table(path)
    acked, error = [], None
    deadline = time.monotonic() + seconds
    seq = 0
    try:
        while time.monotonic() < deadline:
            table.append_records([{"writer": w, "seq": seq, "row": r} for r in range(3)])
            acked.append(seq)
            seq += 1
    except Exception as e:  # reported, and the test fails on it
        error = f"writer {w} at seq {seq}: {type(e).__name__}: {e}"
    queue.put(("writer", w, acked, error))


def reader(path, seconds, queue):
    table = open_table(path)
    scans, last, error = 0, 0, None
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            rows = [(r["writer"], r["seq"], r["row"]) for r in table.scan()]
            assert len(rows) == len(set(rows)), "a row read twice"
            assert len(rows) >= last, f"{len(rows)} rows after {last}"
            last = len(rows)
            scans += 1
    except Exception as e:
        error = f"reader after {scans} scans: {type(e).__name__}: {e}"
    queue.put(("reader", scans, last, error))


def maintainer(path, args, pause, seconds, queue):
    """`datashard ARGS... TABLE` in a loop; gc's deleted data files returned."""
    runs, deleted, errors = 0, [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = subprocess.run([CLI, args[0], path, *args[1:]], capture_output=True, text=True)
        runs += 1
        if r.returncode != 0:
            errors.append(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        elif args[0] == "gc":
            deleted += [o["path"] for o in json.loads(r.stdout)["orphans"]]
        time.sleep(pause)
    queue.put(("maintainer", args[0], runs, deleted, errors))


def killed_writers(path, count, queue):
    """Writers that write a data file and die before committing it."""
    code = textwrap.dedent(
        f"""
        import os
        from datashard import open_table
        tx = open_table({path!r}).new_transaction()
        tx.append_data(records=[{{"writer": -1, "seq": 0, "row": 0}}])
        os._exit(0)
        """
    )
    # The files they left, alone in their partition, each listed as soon as
    # its writer died: gc may take one 3 s later, before the last writer ran.
    left = set()
    for _ in range(count):
        subprocess.run([sys.executable, "-c", code], check=True)
        left.update(os.listdir(os.path.join(path, "data", "writer=-1")))
        time.sleep(0.2)
    queue.put(("killed", sorted(left)))


def test_gc_and_expire_loops_never_delete_committed_files(tmp_path):
    path = str(tmp_path / "t")

    create_table(path, Schema(schema_id=0, fields=SCHEMA), partition_spec="writer", properties=PROPERTIES)
    queue = SPAWN.Queue()
    procs = [SPAWN.Process(target=writer, args=(path, w, SECONDS, queue)) for w in range(1, WRITERS + 1)]
    procs += [SPAWN.Process(target=reader, args=(path, SECONDS, queue)) for _ in range(READERS)]
    for args, pause in ((["expire", "--older-than", "0s", "--retain-last", "3"], 0.3),
                        (["gc", "--json"], 0.5), (["compact"], 1.0)):
        procs.append(SPAWN.Process(target=maintainer, args=(path, args, pause, SECONDS, queue)))
    procs.append(SPAWN.Process(target=killed_writers, args=(path, KILLED_WRITERS, queue)))
    for p in procs:
        p.start()
    results = [queue.get(timeout=SECONDS + 120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * len(procs)

    errors = [r[-1] for r in results if r[0] in ("writer", "reader") and r[-1]]
    errors += [e for r in results if r[0] == "maintainer" for e in r[-1]]
    assert errors == []
    acked = {(r[1], seq, row) for r in results if r[0] == "writer" for seq in r[2] for row in range(3)}
    assert len(acked) > 30 * WRITERS, "writers committed too little to mean anything"
    assert all(r[1] > 5 for r in results if r[0] == "reader"), "readers scanned too little"
    runs = {r[1]: r[2] for r in results if r[0] == "maintainer"}
    assert min(runs.values()) >= 3, runs

    # Every acknowledged row, exactly once; none of the killed writers' rows.
    table = open_table(path)
    found = [(r["writer"], r["seq"], r["row"]) for r in table.scan()]
    assert len(found) == len(set(found))
    assert set(found) == acked
    assert table.verify()["ok"]

    # gc deleted the orphans the killed writers left, once 3 s old.
    killed = next(r[1] for r in results if r[0] == "killed")
    assert len(killed) == KILLED_WRITERS
    deleted = next(r[3] for r in results if r[0] == "maintainer" and r[1] == "gc")
    assert set(killed) <= {os.path.basename(p) for p in deleted if "/writer=-1/" in p}
    assert os.listdir(os.path.join(path, "data", "writer=-1")) == []

