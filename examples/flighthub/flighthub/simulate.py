"""`examples/flighthub/simulate`: agents racing for seats in each locking mode.

For each mode, N agent processes make M attempts each on a few fresh flights
of a running server: an attempt loads a flight (GET, keeping its ETag), then
either books a free seat in that mode (the optimistic mode sends the ETag as
If-Match) or, now and then, cancels a live booking it saw, anyone's. Then the
checker (checker.py) goes over the audit table and the final state. The
unguarded mode ("none") reads, checks and writes with nothing in between, so
agents that pick the same free seat both get it: the checker reports it.
"""

import argparse
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from .checker import check

MODES = ("optimistic", "pessimistic", "none")
WAIT_MS = 10  # a pessimistic booking that waited longer than this for its lock counts as a wait


class Client:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def call(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None, response.headers
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, json.loads(text) if text else None, error.headers


def agent(url, mode, flights, attempts, cancel_rate, seed, results):
    client = Client(url)
    rng = random.Random(seed)
    name = f"agent{seed}"
    out = {"acked": [], "cancelled": [], "counts": {}, "lock_wait_ms": [], "requests": 0}
    counts = out["counts"]

    def count(key):
        counts[key] = counts.get(key, 0) + 1

    for _ in range(attempts):
        flight = rng.choice(flights)
        status, shown, headers = client.call("GET", f"/flights/{flight}")
        out["requests"] += 1
        if status != 200:
            count(f"get_{status}")
            continue
        live = [s for s in shown["seats"] if s["booking_id"]]
        free = [s["seat"] for s in shown["seats"] if s["status"] == "free"]
        if live and (not free or rng.random() < cancel_rate):
            booking = rng.choice(live)["booking_id"]
            status, body, _ = client.call("DELETE", f"/bookings/{booking}?agent={name}")
            out["requests"] += 1
            if status == 204:
                out["cancelled"].append(booking)
                count("cancelled")
            else:
                count({409: "cancel_409", 423: "cancel_423"}.get(status, f"cancel_{status}"))
            continue
        if not free:
            count("full")
            continue
        seat = rng.choice(free)
        extra = {"If-Match": headers["ETag"]} if mode == "optimistic" else {}
        status, body, _ = client.call(
            "POST", f"/flights/{flight}/bookings",
            {"seat": seat, "passenger": f"{name}-{uuid.uuid4().hex[:6]}", "mode": mode, "agent": name}, extra)
        out["requests"] += 1
        if status == 201:
            out["acked"].append({"booking_id": body["booking_id"], "flight": flight, "seat": seat})
            out["lock_wait_ms"].append(body["lock_wait_ms"])
            count("booked")
        else:
            count({409: "taken_409", 412: "conflict_412", 423: "locked_423"}.get(status, f"book_{status}"))
    results.put(out)


def run_mode(url, mode, agents, attempts, flights, seats, cancel_rate, tag):
    client = Client(url)
    names = [f"SIM-{tag}-{mode[:3].upper()}{i}" for i in range(flights)]
    seat_names = [f"{row}{letter}" for row in range(1, seats // 4 + 2) for letter in "ABCD"][:seats]
    for flight in names:
        status, body, _ = client.call("POST", "/flights", {"flight": flight, "seats": seat_names})
        if status != 201:
            raise SystemExit(f"simulate: could not add flight {flight}: {status} {body}")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.monotonic()
    workers = [
        context.Process(target=agent, args=(url, mode, names, attempts, cancel_rate, seed, results))
        for seed in range(agents)
    ]
    for worker in workers:
        worker.start()
    outs = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started

    audit, reservations, refunds = {}, {}, {}
    for flight in names:
        audit[flight] = client.call("GET", f"/flights/{flight}/audit")[1]["audit"]
        reservations[flight] = client.call("GET", f"/flights/{flight}/reservations")[1]["reservations"]
        refunds[flight] = client.call("GET", f"/flights/{flight}/refunds")[1]["refunds"]
    acked = [a for out in outs for a in out["acked"]]
    cancelled = [b for out in outs for b in out["cancelled"]]
    findings = check(audit, reservations, refunds, acked, cancelled)

    counts = {}
    for out in outs:
        for key, value in out["counts"].items():
            counts[key] = counts.get(key, 0) + value
    waits = [ms for out in outs for ms in out["lock_wait_ms"]]
    commits = len(acked) + len(cancelled)
    return {
        "mode": mode,
        "agents": agents,
        "attempts": agents * attempts,
        "flights": names,
        "seconds": round(elapsed, 2),
        "requests": sum(out["requests"] for out in outs),
        "attempts_per_s": round(agents * attempts / elapsed, 1),
        "changes_per_s": round(commits / elapsed, 1),
        "booked": len(acked),
        "cancelled": len(cancelled),
        "taken_409": counts.get("taken_409", 0),
        "conflicts_412": counts.get("conflict_412", 0),
        "locked_423": counts.get("locked_423", 0) + counts.get("cancel_423", 0),
        "cancel_409": counts.get("cancel_409", 0),
        "lock_waits": sum(1 for ms in waits if ms > WAIT_MS),
        "lock_wait_ms_total": sum(waits),
        "other": {k: v for k, v in counts.items()
                  if k not in ("booked", "cancelled", "taken_409", "conflict_412", "locked_423",
                               "cancel_423", "cancel_409", "full")},
        "checker": findings,
    }


def start_server(data):
    """Starts `run` on a free port; returns the process and its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flighthub.server", "--data", data, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+?)/?$", line.strip())
    if not match:
        process.kill()
        raise SystemExit(f"simulate: the server did not start (it said {line!r})")
    return process, match.group(1)


def summary_line(r):
    f = r["checker"]
    verdict = "clean" if f["clean"] else "UNSAFE: " + ", ".join(
        f"{len(f[k])} {k.replace('_', ' ')}" for k in f if k != "clean" and f[k])
    return (f"{r['mode']:<12} {r['attempts']:>6} attempts in {r['seconds']:>7.2f} s  "
            f"{r['attempts_per_s']:>6.1f} att/s {r['changes_per_s']:>5.1f} bookings+cancels/s  "
            f"booked {r['booked']:>4} cancelled {r['cancelled']:>4}  409 {r['taken_409']:>4}  "
            f"412 {r['conflicts_412']:>4}  423 {r['locked_423']:>3}  waits {r['lock_waits']:>4} "
            f"({r['lock_wait_ms_total']} ms)  -> {verdict}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="simulate", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8080")
    where.add_argument("--data", help="start a server of our own per mode, on DATA/<mode>")
    parser.add_argument("--agents", type=int, default=16, help="agent processes per mode (16)")
    parser.add_argument("--attempts", type=int, default=200, help="attempts per agent (200)")
    parser.add_argument("--flights", type=int, default=3, help="flights per mode (3)")
    parser.add_argument("--seats", type=int, default=12, help="seats per flight (12)")
    parser.add_argument("--cancel-rate", type=float, default=0.3,
                        help="share of attempts that cancel a live booking (0.3)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated, from " + ", ".join(MODES))
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}")
    if args.agents < 1 or args.attempts < 1 or args.flights < 1 or not 1 <= args.seats <= 400:
        parser.error("agents, attempts and flights must be positive; seats 1..400")

    tag = uuid.uuid4().hex[:6]
    results = []
    for mode in modes:
        # A server of our own per mode, on its own tables: a mode's numbers
        # do not depend on the tables the modes before it filled.
        server, url = start_server(os.path.join(args.data, mode)) if args.data else (None, args.url)
        try:
            results.append(run_mode(url, mode, args.agents, args.attempts, args.flights, args.seats,
                                    args.cancel_rate, tag))
        finally:
            if server is not None:
                server.terminate()
                server.wait()
        if not args.json:
            print(summary_line(results[-1]), flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    # Exit 1 when a locked mode broke an invariant; the unguarded mode is
    # expected to (that is what it shows).
    return 1 if any(not r["checker"]["clean"] for r in results if r["mode"] != "none") else 0


if __name__ == "__main__":
    sys.exit(main())
