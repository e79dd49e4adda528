"""Helpers of the lock tests: the test servers' URLs, a psql session the
test drives line by line, and waiting for a condition without sleeping a
guessed time."""

import os
import subprocess
import time


def postgres_url():
    url = os.environ.get("DATASHARD_TEST_POSTGRES_URL", "")
    assert url, (
        "DATASHARD_TEST_POSTGRES_URL is not set: run `source scripts/services.sh && "
        "datashard_services_start` (scripts/test.sh does) before the lock tests"
    )
    return url


def wait_until(condition, what, limit=60.0):
    """Polls `condition` until true; fails naming `what` after `limit` seconds
    (a bound against hangs, not a timing assumption of the test)."""
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, f"timed out waiting until {what}"
        time.sleep(0.002)


class Psql:
    """A psql session kept open: statements go in one by one, so a test can
    hold a lock or a transaction open while the code under test runs."""

    def __init__(self, url):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.query("SELECT pg_backend_pid()"))

    def query(self, sql):
        """Runs one statement returning one value; that value as text."""
        self.proc.stdin.write(sql + ";\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def sessions_waiting_for(url, pid):
    out = subprocess.run(
        ["psql", "-X", "-A", "-t", url, "-c",
         f"SELECT count(*) FROM pg_stat_activity WHERE {pid} = ANY(pg_blocking_pids(pid))"],
        check=True, capture_output=True, text=True).stdout
    return int(out.strip())
