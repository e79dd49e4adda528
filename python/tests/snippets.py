"""The Python examples of docs/python.md, ready to run against temporary
folders: each is the text of one fenced block, with "/path/to/" replaced by a
folder of the test. Also the child-process entry points of the suite (they
must live in an importable module for multiprocessing's spawn) and the
helpers that make real commit conflicts (another process commits between a
transaction's start and its commit)."""

import os
import pathlib
import re
import subprocess
import sys
import textwrap
import time

import datashard

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


def call_example_function(code, function, args=(), queue=None):
    """Child process: runs the example's code, then `function(*args)`; puts
    what it returned on `queue`."""
    namespace = {"__name__": "example"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    result = namespace[function](*args)
    if queue is not None:
        queue.put(result)


def commit_from_another_process(path, record):
    """Appends one record to the table at `path` from a new interpreter."""
    code = textwrap.dedent(
        f"""
        from datashard import open_table
        table = open_table({str(path)!r})
        assert table.append_records(records=[{record!r}]) is True
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _pinned(table, options):
    if options.get("expected_snapshot_id") is None:
        snapshot = table.current_snapshot()
        options["expected_snapshot_id"] = snapshot.snapshot_id if snapshot else datashard.NO_SNAPSHOT
    return options


def transactions_lose_races(monkeypatch, path, records):
    """Real conflicts for `with table.new_transaction() as tx: ...`: the next
    len(records) transactions opened are each pinned to the snapshot they
    start from (unless the caller pinned them already), and right after each
    starts another process commits the next of `records`. The library's own
    version check then makes their commit() raise
    ConcurrentModificationException; later transactions are left alone."""
    original = datashard.Table.new_transaction
    pending = list(records)

    def new_transaction(table, **options):
        if not pending:
            return original(table, **options)
        tx = original(table, **_pinned(table, options))
        commit_from_another_process(path, pending.pop(0))
        return tx

    monkeypatch.setattr(datashard.Table, "new_transaction", new_transaction)
    return pending


def appends_lose_races(monkeypatch, path, records):
    """Real conflicts for table.append_records: the next len(records) calls
    each run as a transaction pinned to the snapshot they start from, and
    another process commits the next of `records` before they commit, so
    they raise ConcurrentModificationException; later calls are left alone."""
    original = datashard.Table.append_records
    open_transaction = datashard.Table.new_transaction
    pending = list(records)

    def append_records(table, records=None, schema=None, partition_values=None):
        if not pending:
            return original(table, records=records, schema=schema, partition_values=partition_values)
        with open_transaction(table, **_pinned(table, {})) as tx:
            tx.append_data(records=records, schema=schema, partition_values=partition_values)
            commit_from_another_process(path, pending.pop(0))
            return tx.commit()

    monkeypatch.setattr(datashard.Table, "append_records", append_records)
    return pending


def append_one_at_a_time(path, schema, records):
    """Child process: create_table (which opens the table when it exists),
    then one append_records commit per record; each must return True."""
    from datashard import create_table

    table = create_table(path, schema)
    for record in records:
        assert table.append_records(records=[record], schema=schema) is True


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
