"""The CLI's GUARD options (DESIGN.md §11) on append, delete and update:
--expected-snapshot with --guard-where (exit 3 naming what changed),
--fencing-token (exit 1, StaleFencingToken), --lock/--owner/--backend (exit 4
when the lock is held), and `lock acquire --json` printing the token; with
real processes for a lease that expires while its holder pauses."""

import json
import os
import subprocess

import pytest

from datashard import LockManager, open_table
from lock_helpers import wait_until

CLI = os.environ.get("DATASHARD_CLI", "build/datashard")
SCHEMA = json.dumps([
    {"id": 1, "name": "flight", "type": "string", "required": True},
    {"id": 2, "name": "seat", "type": "string", "required": True},
    {"id": 3, "name": "status", "type": "string", "required": True},
])


def run(*args, stdin=None, env=None):
    return subprocess.run([CLI, *map(str, args)], input=stdin, capture_output=True, text=True,
                          env=env)


def ok(*args, stdin=None):
    result = run(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(flight, seat, status):
    return json.dumps({"flight": flight, "seat": seat, "status": status}) + "\n"


def seats(path):
    return sorted((r["flight"], r["seat"], r["status"]) for r in open_table(path).scan())


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "seats"
    ok("create", path, "--schema", SCHEMA, "--partition-by", "flight")
    ok("append", path, "-", stdin=row("LO1", "1A", "free") + row("LO1", "1B", "free"))
    ok("append", path, "-", stdin=row("LO2", "1A", "free"))
    return path


def snapshot(path):
    return json.loads(ok("history", path, "--json"))[-1]["snapshot_id"]


def test_expected_snapshot_and_guard_where(table):
    seen = snapshot(table)
    ok("update", table, "--set", "status='sold'", "--where", "flight = 'LO2'")
    changer = snapshot(table)
    # Outside the guarded partition: rebased, committed.
    ok("update", table, "--set", "status='blocked'", "--where", "flight = 'LO1' and seat = '1A'",
       "--expected-snapshot", seen, "--guard-where", "flight = 'LO1'")
    # The whole table: refused, exit 3, naming the snapshot that changed it.
    result = run("delete", table, "--where", "seat = '1B'", "--expected-snapshot", seen)
    assert result.returncode == 3, result.stderr
    assert f"snapshot {changer} (operation overwrite" in result.stderr
    result = run("append", table, "-", "--expected-snapshot", changer, "--guard-where",
                 "flight = 'LO1'", stdin=row("LO1", "2A", "free"))
    assert result.returncode == 3 and "the rows matching" in result.stderr, result.stderr
    assert seats(table) == [("LO1", "1A", "blocked"), ("LO1", "1B", "free"),
                            ("LO2", "1A", "sold")]
    result = run("delete", table, "--where", "seat = '1B'", "--guard-where", "flight = 'LO1'")
    assert result.returncode == 2 and "--expected-snapshot" in result.stderr


def test_lock_fences_and_stale_tokens_are_refused(table, tmp_path):
    backend = f"sqlite:{tmp_path / 'locks.db'}"
    lease = json.loads(ok("lock", "acquire", "seats/LO1", "--owner", "agent-1", "--ttl", "60s",
                          "--backend", backend, "--json"))
    assert set(lease) == {"resource", "owner", "mode", "fencing_token", "expiry_ms", "expires"}
    token = lease["fencing_token"]
    # Held by agent-1: another owner cannot take it for its commit.
    result = run("update", table, "--set", "status='x'", "--where", "seat = '1A'",
                 "--lock", "seats/LO1", "--owner", "agent-2", "--backend", backend)
    assert result.returncode == 4, result.stderr
    # agent-1's own lease fences its commit.
    ok("update", table, "--set", "status='sold'", "--where", "flight = 'LO1' and seat = '1A'",
       "--lock", "seats/LO1", "--owner", "agent-1", "--backend", backend)
    assert open_table(table).properties["datashard.fencing.seats/LO1"] == str(token)
    assert [l.owner for l in LockManager(backend).list()] == ["agent-1"]  # still held
    before = seats(table)
    result = run("append", table, "-", "--fencing-token", f"seats/LO1={token - 1}",
                 stdin=row("LO1", "9Z", "stale"))
    assert result.returncode == 1, result.stderr
    assert "StaleFencingToken" in result.stderr
    assert f"fencing token {token - 1} is older than token {token}" in result.stderr
    assert seats(table) == before
    result = run("append", table, "-", "--fencing-token", "nonsense", stdin=row("LO1", "9Z", "x"))
    assert result.returncode == 2


def test_a_paused_holder_with_an_expired_lease_cannot_land_its_write(table, tmp_path):
    backend = f"sqlite:{tmp_path / 'locks.db'}"
    stale = json.loads(ok("lock", "acquire", "seats/LO1", "--owner", "paused", "--ttl", "1s",
                          "--backend", backend, "--json"))
    manager = LockManager(backend)
    wait_until(lambda: manager.list() == [], "the paused holder's lease expired")
    # The successor, in its own process, takes the lock for its commit.
    ok("update", table, "--set", "status='sold'", "--where", "flight = 'LO1'",
       "--lock", "seats/LO1", "--owner", "next", "--backend", backend)
    stored = int(open_table(table).properties["datashard.fencing.seats/LO1"])
    assert stored > stale["fencing_token"]
    result = run("update", table, "--set", "status='stale'", "--where", "flight = 'LO1'",
                 "--fencing-token", f"seats/LO1={stale['fencing_token']}")
    assert result.returncode == 1, result.stderr
    assert f"fencing token {stale['fencing_token']} is older than token {stored}" in result.stderr
    assert seats(table) == [("LO1", "1A", "sold"), ("LO1", "1B", "sold"), ("LO2", "1A", "free")]
