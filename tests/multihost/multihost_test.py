#!/usr/bin/env python3
"""Writers on two hosts, one table, a cut link (issue 20 item 3).

Three Linux network namespaces joined by veth pairs: a "db host" running its
own PostgreSQL (the SQL catalog and a lock backend) and Redis (a lock
backend), and hosts A and B running `datashard` processes. The table's
files are in a folder all of them reach: the namespaces share the
filesystem; only the network is separate.

1. `datashard stress` runs on A and on B at once against one table of the
   PostgreSQL catalog, each writing its history into one folder. The
   table's advisory commit lock is off: on one kernel it would serialise
   the hosts, which separate machines do not; the catalog's
   compare-and-swap alone decides.
2. Mid-run, A takes an exclusive lease (Redis and PostgreSQL backends) and
   makes a fenced commit; then A's link is cut for longer than the lease.
   B acquires each lock after the lease expired, with a higher fencing
   token, and commits with it. When the link is back, A's commit with its
   old token is refused (StaleFencingToken), A cannot release the lock B
   holds, and A's stress writers, whose commits failed (Unavailable) or
   ended CommitStateUnknown during the cut, have resolved every unknown
   commit by its commit id.
3. `datashard stress --verify-history` reads the final state and checks
   both hosts' histories as one: nothing lost, duplicated or torn, every
   read monotonic and seeing what was acknowledged before it began.

Exit 0: passed; 1: failed; 77: skipped, because this machine cannot
create network namespaces (needs root or CAP_NET_ADMIN and iproute2's ip).

Usage: multihost_test.py --datashard PATH [--long] [--measure N] [--keep]
  --long       (or DATASHARD_MULTIHOST_LONG=1) more commits, readers and a
               longer cut, then a second cut, of B's link
  --measure N  instead: commits/s through the catalog with one host and
               with two, N runs each, printed as JSON
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
IP = shutil.which("ip") or "/usr/sbin/ip"
PGBIN = os.environ.get("DATASHARD_PGBIN", "/usr/lib/postgresql/15/bin")
# Short connection timeouts, so that calls during the cut fail in seconds
# (libpq's connect_timeout has a 2 s minimum).
PG_OPTIONS = "connect_timeout=2&tcp_user_timeout=2000"
LEASE = "4s"
LEASE_SECONDS = 4
TAG_PATTERN = re.compile(r"^dm(\d+)(db|a|b)$")


class Failed(Exception):
    pass


def log(*parts):
    print("multihost:", *parts, flush=True)


def run(cmd, check=True, timeout=120, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        output = r.stderr.strip() or r.stdout.strip()
        raise Failed(f"{' '.join(cmd)} exited {r.returncode}: {output}")
    return r


def skip_reason():
    """Why this machine cannot run the test, or None."""
    if not os.path.exists(IP):
        return f"no ip tool ({IP})"
    if not os.path.exists(f"{PGBIN}/pg_ctl") or not shutil.which("redis-server"):
        return f"no PostgreSQL server ({PGBIN}) or redis-server"
    probe = f"dm{os.getpid()}probe"
    r = subprocess.run([IP, "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return (f"cannot create a network namespace ({r.stderr.strip()}): "
                "needs root or CAP_NET_ADMIN")
    subprocess.run([IP, "netns", "del", probe], capture_output=True)
    return None


def remove_stale_namespaces():
    """Namespaces of copies of this test killed before their cleanup ran
    (named after their pid, which no longer runs)."""
    r = subprocess.run([IP, "netns", "list"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = TAG_PATTERN.match(name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            kill_namespace_processes(name)
            subprocess.run([IP, "netns", "del", name], capture_output=True)


def kill_namespace_processes(ns):
    r = subprocess.run([IP, "netns", "pids", ns], capture_output=True, text=True)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


class Cluster:
    """The db host and hosts A and B, named after this process so that
    copies running at once never meet."""

    def __init__(self, datashard, work):
        self.datashard = datashard
        self.work = work
        tag = f"dm{os.getpid()}"
        self.ns = {"db": tag + "db", "a": tag + "a", "b": tag + "b"}
        # db-side end of each host's link; the host's address; the db's address for it
        self.links = {"a": (tag + "da", "10.201.1.2", "10.201.1.1"),
                      "b": (tag + "db0", "10.201.2.2", "10.201.2.1")}
        self.pgdata = os.path.join(work, "pg")
        self.redis_dir = os.path.join(work, "redis")
        self.created = []

    def ip(self, *args):
        run([IP, *args])

    def exec(self, host, cmd, **kw):
        return run([IP, "netns", "exec", self.ns[host], *cmd], **kw)

    def popen(self, host, cmd):
        return subprocess.Popen([IP, "netns", "exec", self.ns[host], *cmd],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def pg_url(self, host):
        return f"postgresql://postgres@{self.links[host][2]}:5432/datashard?{PG_OPTIONS}"

    def redis_url(self, host):
        return f"redis://{self.links[host][2]}:6379"

    def ds(self, host, *args, check=True, timeout=120):
        return self.exec(host, [self.datashard, *args], check=check, timeout=timeout)

    def up(self):
        for ns in self.ns.values():
            self.ip("netns", "add", ns)
            self.created.append(ns)
            self.ip("-n", ns, "link", "set", "lo", "up")
        for host, (db_end, host_addr, db_addr) in self.links.items():
            host_end = db_end + "h"
            self.ip("-n", self.ns["db"], "link", "add", db_end, "type", "veth",
                    "peer", "name", host_end, "netns", self.ns[host])
            self.ip("-n", self.ns["db"], "addr", "add", db_addr + "/24", "dev", db_end)
            self.ip("-n", self.ns[host], "addr", "add", host_addr + "/24", "dev", host_end)
            self.ip("-n", self.ns["db"], "link", "set", db_end, "up")
            self.ip("-n", self.ns[host], "link", "set", host_end, "up")
        self.start_postgres()
        self.start_redis()
        for host in ("a", "b"):
            self.wait_reachable(host)

    def start_postgres(self):
        os.makedirs(self.pgdata)
        shutil.chown(self.pgdata, "postgres", "postgres")
        os.chmod(self.pgdata, 0o700)
        as_pg = ["runuser", "-u", "postgres", "--"]
        run(as_pg + [f"{PGBIN}/initdb", "-D", self.pgdata, "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        with open(os.path.join(self.pgdata, "pg_hba.conf"), "a") as f:
            f.write("host all all 10.201.0.0/16 trust\n")
        listen = ",".join(db for _, _, db in self.links.values())
        self.exec("db", as_pg + [f"{PGBIN}/pg_ctl", "-D", self.pgdata, "-l",
                                 os.path.join(self.pgdata, "log"), "-w", "-t", "30", "-o",
                                 f"-c listen_addresses='{listen}' -p 5432 -k {self.pgdata}",
                                 "start"])
        self.exec("db", [f"{PGBIN}/createdb", "-h", self.pgdata, "-p", "5432", "-U", "postgres",
                         "datashard"])

    def start_redis(self):
        os.makedirs(self.redis_dir)
        binds = " ".join(db for _, _, db in self.links.values())
        # Protected mode refuses every address but loopback without a password;
        # the namespace is the protection here.
        self.exec("db", ["redis-server", "--bind", binds, "--port", "6379", "--daemonize", "yes",
                         "--protected-mode", "no",
                         "--save", "", "--appendonly", "no", "--dir", self.redis_dir,
                         "--pidfile", os.path.join(self.redis_dir, "redis.pid"),
                         "--logfile", os.path.join(self.redis_dir, "redis.log")])

    def wait_reachable(self, host):
        addr = self.links[host][2]
        for _ in range(100):
            pg = self.exec(host, [f"{PGBIN}/pg_isready", "-q", "-h", addr, "-p", "5432"],
                           check=False)
            rd = self.exec(host, ["redis-cli", "-h", addr, "-p", "6379", "ping"], check=False)
            if pg.returncode == 0 and rd.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise Failed(f"host {host} does not reach PostgreSQL and Redis at {addr}")

    def cut(self, host):
        self.ip("-n", self.ns["db"], "link", "set", self.links[host][0], "down")

    def restore(self, host):
        self.ip("-n", self.ns["db"], "link", "set", self.links[host][0], "up")
        self.wait_reachable(host)

    def down(self):
        """Everything up() made, also after a failure midway."""
        if os.path.exists(os.path.join(self.pgdata, "postmaster.pid")):
            subprocess.run(["runuser", "-u", "postgres", "--", f"{PGBIN}/pg_ctl", "-D",
                            self.pgdata, "-m", "immediate", "-w", "-t", "30", "stop"],
                           capture_output=True)
        pidfile = os.path.join(self.redis_dir, "redis.pid")
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).read().strip()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        for ns in self.created:
            kill_namespace_processes(ns)
            subprocess.run([IP, "netns", "del", ns], capture_output=True)


def stress(cluster, host, table, location, processes, commits, readers, history):
    args = ["stress", "--catalog", cluster.pg_url(host), table, "--location", location,
            "--processes", str(processes), "--commits", str(commits), "--readers", str(readers),
            "--rows-per-commit", "2", "--property", "datashard.commit.lock.enabled=false",
            "--retry-unavailable", "--json"]
    if history:
        args += ["--history", history]
    return cluster.popen(host, [cluster.datashard, *args])


def finish(proc, what, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failed(f"{what} did not finish within {timeout} s: {err.strip()[-2000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise Failed(f"{what} exited {proc.returncode} without a result: {err.strip()[-2000:]}")
    result = json.loads(lines[-1])
    if proc.returncode != 0 or not result.get("ok"):
        raise Failed(f"{what} exited {proc.returncode}: {json.dumps(result)[:3000]} "
                     f"{err.strip()[-2000:]}")
    return result


class Fencing:
    """A lease held by the host about to be cut, taken over by the other."""

    def __init__(self, cluster, backend, table, cut_host, other):
        self.c, self.backend, self.table = cluster, backend, table
        self.cut_host, self.other = cut_host, other
        self.resource = f"fenced-{backend}"

    def backend_url(self, host):
        return self.c.redis_url(host) if self.backend == "redis" else self.c.pg_url(host)

    def lock(self, host, *args, check=True):
        return self.c.ds(host, "lock", *args, "--backend", self.backend_url(host), check=check)

    def append(self, host, token, step, check=True):
        row = json.dumps({"resource": self.resource, "host": host, "step": step})
        return self.c.exec(host, [self.c.datashard, "append", "--catalog", self.c.pg_url(host),
                                  self.table, "-", "--fencing-token", f"{self.resource}={token}"],
                           input=row + "\n", check=check)

    def before_cut(self):
        lease = json.loads(self.lock(self.cut_host, "acquire", self.resource, "--owner",
                                     f"host-{self.cut_host}", "--ttl", LEASE, "--json").stdout)
        self.old_token = int(lease["fencing_token"])
        self.expiry_ms = int(lease["expiry_ms"])
        self.append(self.cut_host, self.old_token, 1)

    def held_at(self, when_ms):
        if when_ms >= self.expiry_ms:
            raise Failed(f"{self.backend}: host {self.cut_host}'s lease expired before its link "
                         "was cut (the machine is too slow for a 4 s lease)")

    def during_cut(self):
        # Waits for the cut host's lease to expire.
        lease = json.loads(self.lock(self.other, "acquire", self.resource, "--owner",
                                     f"host-{self.other}", "--ttl", "60s", "--wait", "20s",
                                     "--json").stdout)
        self.new_token = int(lease["fencing_token"])
        if self.new_token <= self.old_token:
            raise Failed(f"{self.backend}: token {self.new_token} after the expired lease's "
                         f"{self.old_token} is not higher")
        self.append(self.other, self.new_token, 1)

    def after_cut(self):
        stale = self.append(self.cut_host, self.old_token, 2, check=False)
        if stale.returncode != 1 or "StaleFencingToken" not in stale.stderr:
            raise Failed(f"{self.backend}: a commit with the expired lease's token "
                         f"{self.old_token} was not refused as stale: exit {stale.returncode}, "
                         f"{stale.stdout.strip()} {stale.stderr.strip()}")
        release = self.lock(self.cut_host, "release", self.resource, "--owner",
                            f"host-{self.cut_host}", check=False)
        if release.returncode == 0:
            raise Failed(f"{self.backend}: host {self.cut_host} released a lock whose lease "
                         "expired and went to another host")
        held = json.loads(self.lock(self.other, "list", "--json").stdout)
        owners = [lease["owner"] for lease in held if lease["resource"] == self.resource]
        if owners != [f"host-{self.other}"]:
            raise Failed(f"{self.backend}: {self.resource} is held by {owners}, not only by "
                         f"host-{self.other}")
        self.lock(self.other, "release", self.resource, "--owner", f"host-{self.other}")
        return {"backend": self.backend, "expired_token": self.old_token,
                "new_token": self.new_token, "stale_commit": "StaleFencingToken",
                "stale_release_exit": release.returncode}


def check_fenced_rows(cluster, table, fencings):
    r = cluster.ds("b", "scan", "--catalog", cluster.pg_url("b"), table, "--format", "jsonl")
    rows = sorted((row["resource"], row["host"], row["step"])
                  for row in map(json.loads, r.stdout.splitlines()))
    want = sorted((f.resource, h, 1) for f in fencings for h in (f.cut_host, f.other))
    if rows != want:
        raise Failed(f"fenced table holds {rows}, expected {want}")


def scenario(cluster, a):
    warehouse = os.path.join(cluster.work, "warehouse")
    os.makedirs(warehouse)
    history = os.path.join(cluster.work, "history")
    table = "mh.t"
    fenced = "mh.fenced"
    cluster.ds("b", "create", "--catalog", cluster.pg_url("b"), fenced, "--location",
               os.path.join(warehouse, "fenced"), "--schema", json.dumps([
                   {"id": 1, "name": "resource", "type": "string", "required": True},
                   {"id": 2, "name": "host", "type": "string", "required": True},
                   {"id": 3, "name": "step", "type": "int", "required": True}]))
    commits = 400 if a.long else 250
    readers = 2 if a.long else 1
    cut_seconds = 15 if a.long else LEASE_SECONDS + 2
    cuts = [("a", "b"), ("b", "a")] if a.long else [("a", "b")]
    started = time.monotonic()
    procs = {h: stress(cluster, h, table, os.path.join(warehouse, "t"), 2, commits, readers,
                       history) for h in ("a", "b")}
    outcomes, all_fencings = [], []
    try:
        time.sleep(1.0)
        for cut_host, other in cuts:
            fencings = [Fencing(cluster, backend, fenced, cut_host, other)
                        for backend in ("redis", "pg")]
            for f in fencings:
                f.before_cut()
            if procs[cut_host].poll() is not None:
                raise Failed(f"the stress run on host {cut_host} ended before the cut; "
                             "give it more commits")
            cluster.cut(cut_host)
            cut_at = time.monotonic()
            for f in fencings:
                f.held_at(time.time() * 1000)
            log(f"cut host {cut_host}'s link at {cut_at - started:.1f} s")
            for f in fencings:
                f.during_cut()
            time.sleep(max(0.0, cut_seconds - (time.monotonic() - cut_at)))
            cluster.restore(cut_host)
            log(f"restored host {cut_host}'s link after {time.monotonic() - cut_at:.1f} s")
            for f in fencings:
                outcomes.append(f.after_cut())
            all_fencings += fencings
            check_fenced_rows(cluster, fenced, all_fencings)
        results = {h: finish(p, f"stress on host {h}", 300) for h, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.communicate()
    verify = json.loads(cluster.ds("b", "stress", "--catalog", cluster.pg_url("b"), table,
                                   "--history", history, "--verify-history", "--json").stdout)
    expected = sum(r["commits"] for r in results.values())
    if (not verify["ok"] or verify["lost"] or verify["duplicated"] or verify["phantom"]
            or verify["commits"] != expected or verify["unknown_outcomes"]):
        raise Failed(f"histories checked together: {json.dumps(verify)}")
    cut_hosts = {c for c, _ in cuts}
    for h in cut_hosts:
        r = results[h]
        if r["unavailable"] + r["unknown_resolved"] + r["unknown_outcomes"] == 0:
            raise Failed(f"host {h}'s writers saw nothing of the cut: {json.dumps(r)}")
    summary = {
        "hosts": {h: {k: r[k] for k in ("commits", "unavailable", "unknown_resolved",
                                         "unknown_outcomes", "retries", "reader_checks",
                                         "seconds")} for h, r in results.items()},
        "verified": {k: verify[k] for k in ("commits", "failed", "unknown_outcomes", "reads",
                                             "rows_expected", "rows_found", "lost",
                                             "duplicated", "phantom")},
        "fencing": outcomes,
    }
    print(json.dumps(summary))
    log("passed")


def measure(cluster, runs):
    """commits/s of 2 writer processes per host, through the PostgreSQL
    catalog, with one host writing and with two."""
    warehouse = os.path.join(cluster.work, "warehouse")
    os.makedirs(warehouse)
    out = {"one_host": [], "two_hosts": []}
    for i in range(runs):
        for hosts, key in ((("a",), "one_host"), (("a", "b"), "two_hosts")):
            table = f"m.t{i}{len(hosts)}"
            began = time.monotonic()
            procs = {h: stress(cluster, h, table, os.path.join(warehouse, table), 2, 200, 0, None)
                     for h in hosts}
            results = [finish(p, f"stress on {h}", 300) for h, p in procs.items()]
            wall = time.monotonic() - began
            out[key].append(round(sum(r["commits"] for r in results) /
                                  max(r["seconds"] for r in results), 1))
            log(key, out[key][-1], f"commits/s ({wall:.1f} s with startup)")
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datashard", required=True)
    p.add_argument("--long", action="store_true",
                   default=os.environ.get("DATASHARD_MULTIHOST_LONG") == "1")
    p.add_argument("--measure", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    a = p.parse_args()
    reason = skip_reason()
    if reason:
        print(f"SKIPPED: multi-host test: {reason}", flush=True)
        return SKIP
    # ctest ends a test past its timeout with SIGTERM first: clean up then too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    remove_stale_namespaces()
    work = tempfile.mkdtemp(prefix="datashard-multihost-")
    os.chmod(work, 0o755)  # the postgres user must reach its data folder
    cluster = Cluster(os.path.abspath(a.datashard), work)
    ok = False
    try:
        cluster.up()
        if a.measure:
            measure(cluster, a.measure)
        else:
            scenario(cluster, a)
        ok = True
    except Failed as e:
        log("FAILED:", e)
    finally:
        cluster.down()
        if ok and not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("work folder kept:", work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
