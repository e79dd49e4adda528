"""`datashard scan` reports progress on one terminal line of stderr when
stderr is a terminal and the scan has run for more than a second, erases it at
the end, and prints nothing but the rows when stderr is not a terminal.

The scan is made to run longer than a second without depending on the
machine's speed: the test reads the first bytes of stdout (the scan has
started), then reads nothing for longer than the threshold, so the tool
blocks on its full stdout pipe with rows still to print. Its next progress
update comes after the threshold whatever the speed of the machine."""

import json
import os
import pty
import re
import selectors
import subprocess
import sys
import time

import pytest

from datashard import Schema, create_table

ROWS_PER_FILE = 100_000
FILES = 2
STALL_SECONDS = 1.5  # the tool's threshold is one second

PROGRESS = re.compile(rb"\r(\d+) rows, (\d+\.\d) MB read, 0/2 files pruned, (\d+\.\d) s ")


@pytest.fixture(scope="module")
def big_table(tmp_path_factory):
    schema = Schema(
        schema_id=1,
        fields=[
            {"id": 1, "name": "record_id", "type": "long", "required": True},
            {"id": 2, "name": "value", "type": "string", "required": True},
        ],
    )
    path = tmp_path_factory.mktemp("progress") / "t"
    table = create_table(path, schema)
    for f in range(FILES):
        start = f * ROWS_PER_FILE
        table.append_records(records=[{"record_id": i, "value": "v"} for i in range(start, start + ROWS_PER_FILE)])
    return path


def start_scan(path, stderr):
    return subprocess.Popen(
        [sys.executable, "-m", "datashard", "scan", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )


def stall_then_drain(process, extra_fd=None):
    """Reads stdout's first bytes, stalls past the threshold, then reads
    stdout (and `extra_fd`) to the end. Returns (stdout, extra bytes)."""
    out = os.read(process.stdout.fileno(), 1)
    assert out, "the scan printed nothing"
    time.sleep(STALL_SECONDS)
    chunks = {process.stdout.fileno(): [out]}
    selector = selectors.DefaultSelector()
    selector.register(process.stdout.fileno(), selectors.EVENT_READ)
    if extra_fd is not None:
        chunks[extra_fd] = []
        selector.register(extra_fd, selectors.EVENT_READ)
    open_fds = set(chunks)
    while open_fds:
        for key, _ in selector.select():
            try:
                data = os.read(key.fd, 1 << 16)
            except OSError:  # a pty master reads EIO once the other side is closed
                data = b""
            if data:
                chunks[key.fd].append(data)
            else:
                selector.unregister(key.fd)
                open_fds.discard(key.fd)
    assert process.wait() == 0
    extra = b"".join(chunks[extra_fd]) if extra_fd is not None else b""
    return b"".join(chunks[process.stdout.fileno()]), extra


def assert_all_rows(stdout):
    lines = stdout.decode().splitlines()
    assert len(lines) == ROWS_PER_FILE * FILES
    assert sorted(json.loads(line)["record_id"] for line in lines) == list(range(ROWS_PER_FILE * FILES))
    assert all(line.endswith(',"value":"v"}') for line in lines)


def test_progress_line_on_a_terminal(big_table):
    master, slave = pty.openpty()
    try:
        process = start_scan(big_table, slave)
        os.close(slave)
        slave = None
        stdout, terminal = stall_then_drain(process, master)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert_all_rows(stdout)
    reports = PROGRESS.findall(terminal)
    assert reports, terminal
    for rows, _, _ in reports:
        assert 0 < int(rows) <= ROWS_PER_FILE * FILES
    # Nothing else reached the terminal, and the line was erased at the end.
    assert terminal.endswith(b"\r\x1b[K"), terminal
    assert PROGRESS.sub(b"", terminal) == b"\r\x1b[K"


def test_no_progress_when_stderr_is_piped(big_table):
    process = start_scan(big_table, subprocess.PIPE)
    stdout, stderr = stall_then_drain(process, process.stderr.fileno())
    assert_all_rows(stdout)
    assert stderr == b""
