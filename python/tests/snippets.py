"""The Python examples of docs/python.md, ready to run against temporary
folders: each is the text of one fenced block, with "/path/to/" replaced by a
folder of the test. Also the child-process entry points of the suite (they
must live in an importable module for multiprocessing's spawn)."""

import os
import pathlib
import re
import sys
import time

DOCS = pathlib.Path(
    os.environ.get("DATASHARD_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2])
) / "docs" / "python.md"


def documented_examples():
    """{title: code} for every ```python block, titled by the heading above it."""
    text = DOCS.read_text()
    examples = {}
    title = None
    for match in re.finditer(r"^(#{2,3}) ([^\n]+)$|^```python\n(.*?)^```", text, re.M | re.S):
        if match.group(2):
            title = match.group(2).strip()
        else:
            assert title not in examples, f"two examples under '{title}'"
            examples[title] = match.group(3)
    return examples


def example(title, folder):
    """The example under heading `title`, its tables placed in `folder`."""
    return documented_examples()[title].replace("/path/to/", str(folder).rstrip("/") + "/")


_real_sleep = time.sleep


class Stop(Exception):
    """Ends an example's endless loop from inside a patched time.sleep."""


def bounded_sleep(calls, pause, observe=None):
    """A time.sleep that sleeps `pause` seconds, calls observe(caller_locals)
    and raises Stop on its `calls`-th call."""
    count = [0]

    def sleep(_seconds):
        if observe is not None:
            observe(sys._getframe(1).f_locals)
        count[0] += 1
        if count[0] >= calls:
            raise Stop()
        _real_sleep(pause)

    return sleep


def run_example_function(code, function, calls, pause, queue=None, args=()):
    """Child process: runs the example, then `function` with time.sleep
    bounded to `calls` calls. Sends what a reader observed (snapshot ids and
    sequence numbers, in order) to `queue`."""
    seen = []

    def observe(local_vars):
        snapshot = local_vars.get("current_snapshot")
        if snapshot is not None:
            seen.append((snapshot.sequence_number, snapshot.snapshot_id))

    namespace = {"__name__": "example"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    time.sleep = bounded_sleep(calls, pause, observe)
    try:
        namespace[function](*args)
    except Stop:
        pass
    if queue is not None:
        queue.put(seen)


def append_writer(path, writer, commits, rows_per_commit):
    """Child process: `commits` appends of `rows_per_commit` rows whose ids
    encode (writer, commit, row); create_table at the top, as the docs do."""
    from datashard import Schema, create_table

    schema = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "writer", "type": "int", "required": True},
        ],
    )
    table = create_table(path, schema)
    for c in range(commits):
        records = [
            {"record_id": (writer * 1000 + c) * 100 + r, "writer": writer} for r in range(rows_per_commit)
        ]
        assert table.append_records(records=records, schema=schema) is True


def snapshot_reader(path, stop, queue):
    """Child process: takes snapshots until `stop` is set; checks each one it
    scans and reports (sequence_number, snapshot_id, total-records, rows
    scanned, distinct ids) in order."""
    from datashard import NotFound, open_table

    while True:  # the writers create the table
        try:
            table = open_table(path)
            break
        except NotFound:
            time.sleep(0.01)
    seen = []
    while True:
        done = stop.is_set()
        snapshot = table.current_snapshot()
        if snapshot is not None:
            ids = [r["record_id"] for r in table.scan(snapshot_id=snapshot.snapshot_id, columns=["record_id"])]
            seen.append(
                (
                    snapshot.sequence_number,
                    snapshot.snapshot_id,
                    int(snapshot.summary["total-records"]),
                    len(ids),
                    len(set(ids)),
                )
            )
        if done:
            break
    queue.put(seen)
