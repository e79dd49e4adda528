"""The flighthub domain on datashard tables and the lock manager.

Every business operation of DESIGN.md §12 lives here, each with the offline
concurrency pattern it demonstrates; app.py only maps HTTP onto it. Errors are
raised as Refused(status, message), which the web layer turns into
{"error": message} with that status.
"""

import collections
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from datashard import (
    CommitConflict,
    DatashardError,
    DeadlockDetected,
    LockExpired,
    LockManager,
    LockNotAcquired,
    NO_SNAPSHOT,
    NotFound,
    Schema,
    StaleFencingToken,
    create_table,
)

FLIGHTS_SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "flight", "type": "string", "required": True},
        {"id": 2, "name": "origin", "type": "string"},
        {"id": 3, "name": "destination", "type": "string"},
        {"id": 4, "name": "departure", "type": "string"},
        {"id": 5, "name": "created_ms", "type": "long", "required": True},
    ],
)

# One table holds all that a flight's version covers: its seat map (kind
# 'seat', with the blocked flag the edit changes) and its bookings (kind
# 'booking', appended; confirm and cancel update their status). A version is
# one snapshot id, so what the optimistic lock guards has to be one table.
SEATS_SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "flight", "type": "string", "required": True},
        {"id": 2, "name": "seat", "type": "string", "required": True},
        {"id": 3, "name": "kind", "type": "string", "required": True},
        {"id": 4, "name": "blocked", "type": "boolean"},
        {"id": 5, "name": "booking_id", "type": "string"},
        {"id": 6, "name": "passenger", "type": "string"},
        {"id": 7, "name": "status", "type": "string"},
        {"id": 8, "name": "agent", "type": "string"},
        {"id": 9, "name": "mode", "type": "string"},
        {"id": 10, "name": "booked_ms", "type": "long"},
    ],
)

REFUNDS_SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "refund_id", "type": "string", "required": True},
        {"id": 2, "name": "booking_id", "type": "string", "required": True},
        {"id": 3, "name": "flight", "type": "string", "required": True},
        {"id": 4, "name": "seat", "type": "string", "required": True},
        {"id": 5, "name": "amount_cents", "type": "long", "required": True},
        {"id": 6, "name": "refunded_ms", "type": "long", "required": True},
    ],
)

# Written after each committed change of the seats table, ordered by that
# commit's sequence number (`seq`): commit order, not arrival order.
# Audit and refunds are append-only, so they commit through an ingest log
# (DESIGN.md §6a): one log record and a shared fdatasync per append instead
# of a snapshot, and every read of the current state still sees each
# acknowledged row (the refund check of a retried cancel relies on that).
APPEND_ONLY = {"datashard.ingest-log.enabled": "true"}
# Each audited commit of the seats table carries its audit record in its own
# snapshot summary, so the record is published atomically with the change;
# the audit table row is its copy with the commit's sequence number, written
# right after the commit and recovered from the summary if the server died
# in between (Store.recover_audit).
AUDIT_PROPERTY = "flighthub.audit"
AUDIT_SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "flight", "type": "string", "required": True},
        {"id": 2, "name": "seq", "type": "long", "required": True},
        {"id": 3, "name": "snapshot_id", "type": "long", "required": True},
        {"id": 4, "name": "action", "type": "string", "required": True},
        {"id": 5, "name": "booking_id", "type": "string"},
        {"id": 6, "name": "seat", "type": "string"},
        {"id": 7, "name": "passenger", "type": "string"},
        {"id": 8, "name": "agent", "type": "string"},
        {"id": 9, "name": "mode", "type": "string"},
        {"id": 10, "name": "at_ms", "type": "long", "required": True},
    ],
)

# The customer aggregate: the customer row and its address rows share one
# table, so one snapshot id versions them together (coarse-grained lock).
CUSTOMERS_SCHEMA = Schema(
    schema_id=1,
    fields=[
        {"id": 1, "name": "customer_id", "type": "string", "required": True},
        {"id": 2, "name": "kind", "type": "string", "required": True},
        {"id": 3, "name": "name", "type": "string"},
        {"id": 4, "name": "email", "type": "string"},
        {"id": 5, "name": "address_id", "type": "string"},
        {"id": 6, "name": "address", "type": "string"},
        {"id": 7, "name": "created_ms", "type": "long", "required": True},
    ],
)

MODES = ("optimistic", "pessimistic", "none")
BOOKING_STATUSES = ("reserved", "confirmed", "cancelled")
LIVE = ("reserved", "confirmed")
REFUND_CENTS = 10000
READ_CACHE_ENTRIES = 256  # flight reads kept, each a few dozen rows

FLIGHT_RE = re.compile(r"^[A-Za-z0-9-]{1,32}$")
SEAT_RE = re.compile(r"^[0-9]{1,3}[A-Z]$")
ID_RE = re.compile(r"^[0-9a-f]{32}$")
AGENT_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class Refused(Exception):
    """A request the application turns down: an HTTP status and a message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Settings:
    session_ttl_s: float = 300.0  # edit session lease, renewed by each write through it
    booking_lock_ttl_s: float = 30.0  # seat lock of a pessimistic booking
    booking_lock_wait_s: float = 10.0
    command_lock_ttl_s: float = 30.0  # cancel's command lock on the booking
    command_lock_wait_s: float = 10.0
    # Every booking adds a one-row file to its flight's partition, and every
    # read of the flight opens them all: the server compacts the seats table
    # this often (run's --compact-interval; 0: never).
    compact_interval_s: float = 2.0


def _now_ms():
    return int(time.time() * 1000)


def _check(regex, value, what):
    if not isinstance(value, str) or not regex.match(value):
        raise Refused(400, f"{what} {value!r} is not valid (expected {regex.pattern})")
    return value


def flight_resource(flight):
    return f"flighthub/flights/{flight}"


def seat_resource(flight, seat):
    # Below the flight: an edit session on the flight covers every seat.
    return f"flighthub/flights/{flight}/seats/{seat}"


def booking_resource(booking_id):
    return f"flighthub/bookings/{booking_id}"


def guarded_transaction(table, *, expected=None, scope=None, fencing=None, audit=None):
    """Opens the transaction a business write commits in.

    `expected` is the version (snapshot id) read earlier: the optimistic
    offline lock, scoped to the rows `scope` matches (one flight's partition,
    one customer), so commits elsewhere in the table are rebased over.
    `fencing` maps lock resources to the fencing tokens of the leases the
    write is made under: the commit raises StaleFencingToken if the table
    already accepted a newer token for one of them. `audit` is the audit
    record of the change (audit_record), published in the same commit.
    """
    return table.new_transaction(expected_snapshot_id=expected, guard_where=None if expected is None else scope,
                                 fencing_tokens=fencing, snapshot_properties=audit)


def audit_record(action, booking, agent=None):
    """The audit record of a change of the seats table, as the snapshot
    summary property that publishes it with the change itself."""
    event = {key: booking.get(key) for key in ("flight", "booking_id", "seat", "passenger", "agent", "mode")}
    if agent is not None:
        event["agent"] = agent
    event.update(action=action, at_ms=_now_ms())
    return {AUDIT_PROPERTY: json.dumps(event, sort_keys=True)}


class Store:
    """The tables under DIR/tables and the lock manager, shared by all requests."""

    def __init__(self, data_dir, locks_url=None, settings=None):
        root = Path(data_dir)
        (root / "tables").mkdir(parents=True, exist_ok=True)
        self.settings = settings or Settings()
        self.locks = LockManager(locks_url or f"sqlite:{root / 'locks.db'}")
        self.flights = create_table(str(root / "tables" / "flights"), FLIGHTS_SCHEMA)
        self.seats = create_table(str(root / "tables" / "seats"), SEATS_SCHEMA, partition_spec="flight",
                                  properties={"commit.manifest.min-count-to-merge": "4"})
        self.refunds = create_table(str(root / "tables" / "refunds"), REFUNDS_SCHEMA, partition_spec="flight",
                                    properties=APPEND_ONLY)
        self.audit = create_table(str(root / "tables" / "audit"), AUDIT_SCHEMA, partition_spec="flight",
                                  properties=APPEND_ONLY)
        self.customers = create_table(str(root / "tables" / "customers"), CUSTOMERS_SCHEMA)
        self._cache = collections.OrderedDict()  # (flight, snapshot id) -> rows, least recently used first
        self._cache_lock = threading.Lock()
        self._stop_maintenance = threading.Event()
        self._maintenance = None

    # ---- maintenance -------------------------------------------------------

    def start_maintenance(self):
        """Recovers missing audit rows, then compacts the seats table (and
        recovers again) every settings.compact_interval_s in a background
        thread, so a flight's partition stays a few files however many
        bookings it had. Nothing a request does can conflict with it:
        bookings append, and the row-level changes are guarded by their rows
        (rebased over the rewrite); a compaction that loses to a change of one
        of its files is simply tried again next round."""
        self.recover_audit()
        if self.settings.compact_interval_s <= 0 or self._maintenance is not None:
            return
        self._maintenance = threading.Thread(target=self._compact_seats, name="flighthub-compact", daemon=True)
        self._maintenance.start()

    def stop_maintenance(self):
        if self._maintenance is not None:
            self._stop_maintenance.set()
            self._maintenance.join()
            self._maintenance = None

    def _compact_seats(self):
        while not self._stop_maintenance.wait(self.settings.compact_interval_s):
            self.compact_seats()
            try:
                self.recover_audit()
            except DatashardError as error:
                print(f"flighthub: recovering audit records failed: {error}", file=sys.stderr, flush=True)

    def compact_seats(self):
        """One compaction of the seats table: its result, or None when a
        booking's change rewrote one of its files first or it failed."""
        try:
            return self.seats.compact()
        except CommitConflict:
            return None  # the next round tries again
        except DatashardError as error:
            print(f"flighthub: compacting {self.seats.table_path} failed: {error}", file=sys.stderr, flush=True)
            return None

    # ---- flights ---------------------------------------------------------

    def add_flight(self, flight, seats, origin=None, destination=None, departure=None):
        _check(FLIGHT_RE, flight, "flight")
        if not isinstance(seats, list) or not seats:
            raise Refused(400, "seats must be a non-empty list of seat names like '1A'")
        for seat in seats:
            _check(SEAT_RE, seat, "seat")
        if len(set(seats)) != len(seats):
            raise Refused(400, f"flight {flight}: seats are listed twice")
        # Flight numbers are unique: the check and the insert commit against
        # the snapshot that was checked.
        current = self.flights.current_snapshot()
        version = current.snapshot_id if current else None
        if version is not None and self.flights.count(filter=f"flight = '{flight}'", snapshot_id=version):
            raise Refused(409, f"flight {flight} exists already")
        try:
            with self.flights.new_transaction(expected_snapshot_id=NO_SNAPSHOT if version is None else version) as tx:
                tx.append_data(
                    [
                        {
                            "flight": flight,
                            "origin": origin,
                            "destination": destination,
                            "departure": departure,
                            "created_ms": _now_ms(),
                        }
                    ]
                )
                tx.commit()
        except CommitConflict:
            raise Refused(409, f"flight {flight}: flights changed while it was added; try again") from None
        with self.seats.new_transaction() as tx:
            tx.append_data(
                [{"flight": flight, "seat": seat, "kind": "seat", "blocked": False} for seat in seats],
                partition_values={"flight": flight},
            )
            tx.commit()
        return self.flight(flight)

    def search(self, number=None, origin=None, destination=None):
        clauses = []
        for column, value in (("flight", number), ("origin", origin), ("destination", destination)):
            if value:
                clauses.append(f"{column} = '{_quote(value)}'")
        rows = self.flights.scan(filter=" and ".join(clauses) or None)
        rows.sort(key=lambda r: r["flight"])
        return [{k: r[k] for k in ("flight", "origin", "destination", "departure")} for r in rows]

    def _require_flight(self, flight):
        _check(FLIGHT_RE, flight, "flight")
        if not self.flights.count(filter=f"flight = '{flight}'"):
            raise Refused(404, f"no flight {flight}")

    def _read(self, flight, version=None):
        """The flight's rows at one snapshot, and that snapshot's id (its
        version): the current one, or `version`."""
        if version is None:
            snapshot = self.seats.current_snapshot()
            if snapshot is None:
                raise Refused(404, f"no flight {flight}")
            version = snapshot.snapshot_id
        rows = self._rows_at(flight, version)
        if not rows:
            raise Refused(404, f"no flight {flight}")
        return version, rows

    def _rows_at(self, flight, version):
        # A snapshot never changes, so its rows of a flight can be kept: the
        # agents' reads between two commits, and an optimistic booking
        # checked at the version its agent read, are served from here. The
        # caller must not change the rows.
        key = (flight, version)
        with self._cache_lock:
            rows = self._cache.get(key)
            if rows is not None:
                self._cache.move_to_end(key)
                return rows
        rows = self.seats.scan(snapshot_id=version, filter=f"flight = '{flight}'")
        with self._cache_lock:
            self._cache[key] = rows
            while len(self._cache) > READ_CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return rows

    @staticmethod
    def _seat_map(rows):
        layout = sorted((r for r in rows if r["kind"] == "seat"), key=lambda r: _seat_key(r["seat"]))
        live = {}
        for r in rows:
            if r["kind"] == "booking" and r["status"] in LIVE:
                live.setdefault(r["seat"], []).append(r)
        seats = []
        for r in layout:
            holders = live.get(r["seat"], [])
            entry = {"seat": r["seat"], "status": "free", "passenger": None, "booking_id": None}
            if holders:
                first = min(holders, key=lambda b: (b["booked_ms"], b["booking_id"]))
                entry.update(status=first["status"], passenger=first["passenger"], booking_id=first["booking_id"])
                if len(holders) > 1:  # only the unguarded mode can leave this behind
                    entry["double_booked"] = sorted(b["booking_id"] for b in holders)
            if r["blocked"]:
                entry["status"] = "blocked" if not holders else entry["status"]
                entry["blocked"] = True
            seats.append(entry)
        return seats

    def flight(self, flight):
        _check(FLIGHT_RE, flight, "flight")
        version, rows = self._read(flight)
        return {"flight": flight, "seats": self._seat_map(rows), "version": version}

    def _find_seat(self, seats, flight, seat):
        for entry in seats:
            if entry["seat"] == seat:
                return entry
        raise Refused(404, f"flight {flight} has no seat {seat}")

    # ---- booking: the three modes -----------------------------------------

    def book(self, flight, seat, passenger, mode, if_match=None, agent=None):
        _check(FLIGHT_RE, flight, "flight")
        _check(SEAT_RE, seat, "seat")
        if not isinstance(passenger, str) or not passenger.strip():
            raise Refused(400, "passenger must be a non-empty string")
        if mode not in MODES:
            raise Refused(400, f"mode {mode!r} is not one of {', '.join(MODES)}")
        if agent is not None:
            _check(AGENT_RE, agent, "agent")
        booking = {
            "flight": flight,
            "seat": seat,
            "kind": "booking",
            "booking_id": uuid.uuid4().hex,
            "passenger": passenger.strip(),
            "status": "reserved",
            "agent": agent,
            "mode": mode,
        }
        waited_ms = 0
        if mode == "pessimistic":
            # Implicit pessimistic lock on the seat (below the flight, so an
            # edit session on the flight holds bookings off): the transaction
            # takes it before it reads, fences its commit with the token and
            # releases it when it ends.
            started = time.monotonic()
            spec = self.locks.lock_spec(seat_resource(flight, seat), owner=f"book-{booking['booking_id']}",
                                        ttl=self.settings.booking_lock_ttl_s, wait=self.settings.booking_lock_wait_s)
            try:
                tx = self.seats.new_transaction(lock=spec, snapshot_properties=audit_record("booked", booking))
            except (LockNotAcquired, DeadlockDetected) as error:
                raise Refused(423, f"seat {seat} of flight {flight} is locked: {error}") from None
            waited_ms = int((time.monotonic() - started) * 1000)
            with tx:
                _, rows = self._read(flight)
                self._check_free(rows, flight, seat)
                booking["booked_ms"] = _now_ms()
                tx.append_data([booking], partition_values={"flight": flight})
                try:
                    tx.commit()
                except StaleFencingToken:
                    raise Refused(423, f"the lock on seat {seat} of flight {flight} was lost") from None
                snapshot = tx.committed_snapshot
        elif mode == "optimistic":
            # Optimistic offline lock: the version the agent saw (If-Match), or
            # the one read here, must still be current when the booking commits.
            # Checked at that version: the guard makes sure the flight is
            # still as it was then when the booking commits.
            try:
                expected, rows = self._read(flight, if_match)
            except NotFound:
                raise Refused(412, f"flight {flight}: version {if_match} is no longer kept; load it again") from None
            self._check_free(rows, flight, seat)
            try:
                snapshot = self._append_booking(booking, expected=expected)
            except CommitConflict:
                raise Refused(412, f"flight {flight} changed since version {expected}; load it again") from None
        else:
            # No lock at all: read, check, write. Two agents can both find the
            # seat free and both append a booking: the race the locks prevent.
            _, rows = self._read(flight)
            self._check_free(rows, flight, seat)
            snapshot = self._append_booking(booking)
        self._audit(snapshot)
        return {
            "booking_id": booking["booking_id"],
            "flight": flight,
            "seat": seat,
            "passenger": booking["passenger"],
            "status": "reserved",
            "mode": mode,
            "version": snapshot.snapshot_id,
            "lock_wait_ms": waited_ms,
        }

    def _check_free(self, rows, flight, seat):
        entry = self._find_seat(self._seat_map(rows), flight, seat)
        if entry.get("blocked"):
            raise Refused(409, f"seat {seat} of flight {flight} is blocked")
        if entry["status"] != "free":
            raise Refused(409, f"seat {seat} of flight {flight} is taken")

    def _append_booking(self, booking, expected=None):
        booking["booked_ms"] = _now_ms()
        with guarded_transaction(self.seats, expected=expected, scope=f"flight = '{booking['flight']}'",
                                 audit=audit_record("booked", booking)) as tx:
            tx.append_data([booking], partition_values={"flight": booking["flight"]})
            tx.commit()
            return tx.committed_snapshot

    # ---- edit flight: optimistic (If-Match) or pessimistic (edit session) ----

    def open_edit_session(self, flight, agent, ttl_ms=None):
        _check(AGENT_RE, agent, "agent")
        self._require_flight(flight)
        ttl = self.settings.session_ttl_s if ttl_ms is None else _positive_ms(ttl_ms, "ttl_ms") / 1000
        lease = self.locks.try_acquire(flight_resource(flight), owner=f"edit:{agent}", ttl=ttl)
        if lease is None:
            raise Refused(423, f"flight {flight} is locked: {self._holders(flight_resource(flight))}")
        return {
            "lock_token": str(lease.fencing_token),
            "expires_ms": int(lease.expiry.timestamp() * 1000),
            "flight": flight,
        }

    def close_edit_session(self, flight, token):
        lease = self._session(flight, token)
        self._release(lease)

    def edit_flight(self, flight, blocked, if_match=None, lock_token=None):
        _check(FLIGHT_RE, flight, "flight")
        if not isinstance(blocked, list) or any(not isinstance(s, str) for s in blocked):
            raise Refused(400, "blocked must be a list of seat names")
        fencing = None
        if lock_token is not None:
            # Pessimistic: only through the live edit session (an expired
            # one is refused, never written through).
            lease = self._session(flight, lock_token)
            self._live_lease(lease)
            fencing = {lease.resource: lease.fencing_token}
        elif if_match is None:
            raise Refused(428, f"editing flight {flight} needs If-Match (optimistic) or Lock-Token (edit session)")
        else:
            holder = self._session_holder(flight)
            if holder is not None:
                raise Refused(423, f"flight {flight} is locked by the edit session of {holder.owner}")
        version, rows = self._read(flight)
        seats = self._seat_map(rows)
        names = {s["seat"] for s in seats}
        for seat in blocked:
            if seat not in names:
                raise Refused(400, f"flight {flight} has no seat {seat}")
        wanted = set(blocked)
        for s in seats:
            if s["seat"] in wanted and not s.get("blocked") and s["status"] != "free":
                raise Refused(409, f"seat {s['seat']} of flight {flight} is booked and cannot be blocked")
        layout = [{"flight": flight, "seat": s["seat"], "kind": "seat", "blocked": s["seat"] in wanted} for s in seats]
        expected = if_match if lock_token is None else version
        try:
            with guarded_transaction(self.seats, expected=expected, scope=f"flight = '{flight}'",
                                     fencing=fencing) as tx:
                tx.overwrite(f"flight = '{flight}' and kind = 'seat'", layout, partition_values={"flight": flight})
                tx.commit()
        except CommitConflict:
            if lock_token is not None:
                raise Refused(409, f"flight {flight} changed during the edit; try again") from None
            raise Refused(412, f"flight {flight} changed since version {if_match}; load it again") from None
        except StaleFencingToken:
            raise Refused(423, f"the edit session of flight {flight} was taken over") from None
        return self.flight(flight)

    def _session_holder(self, flight):
        resource = flight_resource(flight)
        for lease in self.locks.inspect(resource):
            if lease.resource == resource and lease.owner.startswith("edit:"):
                return lease
        return None

    def _session(self, flight, token):
        self._require_flight(flight)
        holder = self._session_holder(flight)
        if holder is None or str(holder.fencing_token) != str(token).strip():
            raise Refused(423, f"Lock-Token {token!r} is not the live edit session of flight {flight}")
        return holder

    # ---- confirm and cancel: locks on the booking --------------------------

    def _booking(self, booking_id):
        """The booking's row and the version (snapshot id) it was read at."""
        _check(ID_RE, booking_id, "booking id")
        snapshot = self.seats.current_snapshot()
        rows = [] if snapshot is None else self.seats.scan(
            snapshot_id=snapshot.snapshot_id, filter=f"kind = 'booking' and booking_id = '{booking_id}'")
        if not rows:
            raise Refused(404, f"no booking {booking_id}")
        return rows[0], snapshot.snapshot_id

    def confirm(self, booking_id, agent=None, payment_ms=0):
        self._booking(booking_id)  # 404 before anything is locked
        payment_ms = _positive_ms(payment_ms, "payment_ms", allow_zero=True, limit=30000)
        # Pessimistic offline lock on the booking for the payment step; a
        # second agent confirming or cancelling meanwhile gets 423.
        lease = self.locks.try_acquire(booking_resource(booking_id), owner=f"confirm-{uuid.uuid4().hex}",
                                       ttl=self.settings.command_lock_ttl_s + payment_ms / 1000)
        if lease is None:
            raise Refused(423, f"booking {booking_id} is locked: {self._holders(booking_resource(booking_id))}")
        try:
            booking, version = self._booking(booking_id)
            if booking["status"] == "cancelled":
                raise Refused(409, f"booking {booking_id} is cancelled")
            if booking["status"] == "confirmed":
                return {"booking_id": booking_id, "status": "confirmed"}
            time.sleep(payment_ms / 1000)  # the payment provider's round trip
            self._live_lease(lease)
            snapshot = self._set_status(booking, version, "confirmed", agent)
            self._audit(snapshot)
            return {"booking_id": booking_id, "status": "confirmed", "version": snapshot.snapshot_id}
        finally:
            self._release(lease)

    def cancel(self, booking_id, agent=None):
        self._booking(booking_id)
        # Command lock with a TTL, as the talk's handler: lock, refund, free
        # the seat, unlock, also on error. A concurrent cancel waits here and
        # then finds the booking cancelled: one refund, never two.
        lease = self._acquire(booking_resource(booking_id), f"cancel-{uuid.uuid4().hex}",
                              self.settings.command_lock_ttl_s, self.settings.command_lock_wait_s)
        try:
            booking, version = self._booking(booking_id)
            if booking["status"] == "cancelled":
                raise Refused(409, f"booking {booking_id} is cancelled already")
            # The refund is keyed by the booking: a retry after a failure
            # between the two steps finds it and does not pay again.
            if not self.refunds.count(filter=f"booking_id = '{booking_id}'"):
                self._live_lease(lease)
                with self.refunds.new_transaction() as tx:
                    tx.append_data(
                        [
                            {
                                "refund_id": uuid.uuid4().hex,
                                "booking_id": booking_id,
                                "flight": booking["flight"],
                                "seat": booking["seat"],
                                "amount_cents": REFUND_CENTS,
                                "refunded_ms": _now_ms(),
                            }
                        ],
                        partition_values={"flight": booking["flight"]},
                    )
                    tx.commit()
            self._live_lease(lease)
            snapshot = self._set_status(booking, version, "cancelled", agent)
            self._audit(snapshot)
        finally:
            self._release(lease)

    def _set_status(self, booking, version, status, agent=None):
        """Moves the booking on from the status it was read with at `version`.

        Confirm and cancel hold the booking's lock, and check it right before
        this; the condition on the old status, and the guard on the booking's
        row since `version`, keep a holder whose lease ran out in between from
        undoing a later change. The guard is the row, not the data file: a
        compaction or another booking's change that rewrote the file since is
        rebased over (the update applied again), not a conflict. Booking
        locks are not passed as fencing tokens: the table would keep one
        property per booking ever locked."""
        booking_id = booking["booking_id"]
        try:
            with guarded_transaction(self.seats, expected=version,
                                     scope=f"kind = 'booking' and booking_id = '{booking_id}'",
                                     audit=audit_record(status, booking, agent)) as tx:
                where = f"kind = 'booking' and booking_id = '{booking_id}' and status = '{booking['status']}'"
                matched = tx.update({"status": status}, where)
                if matched != 1:
                    raise Refused(409, f"booking {booking_id} changed while it was being {status}")
                tx.commit()
                return tx.committed_snapshot
        except CommitConflict:
            raise Refused(409, f"booking {booking_id} changed while it was being {status}") from None

    def reservations(self, flight, status=None):
        self._require_flight(flight)
        where = f"flight = '{flight}' and kind = 'booking'"
        if status is not None:
            if status not in BOOKING_STATUSES:
                raise Refused(400, f"status {status!r} is not one of {', '.join(BOOKING_STATUSES)}")
            where += f" and status = '{status}'"
        rows = self.seats.scan(filter=where)
        rows.sort(key=lambda r: (r["booked_ms"], r["booking_id"]))
        keys = ("booking_id", "seat", "passenger", "status", "agent", "mode", "booked_ms")
        return [{k: r[k] for k in keys} for r in rows]

    def refunds_of(self, flight):
        self._require_flight(flight)
        rows = self.refunds.scan(filter=f"flight = '{flight}'")
        rows.sort(key=lambda r: (r["refunded_ms"], r["refund_id"]))
        return rows

    # ---- audit -------------------------------------------------------------

    def _audit(self, snapshot):
        """Copies the audit record the commit `snapshot` published into the
        audit table, with that commit's sequence number."""
        self._append_audit([snapshot])

    def _append_audit(self, snapshots):
        by_flight = {}
        for snapshot in snapshots:
            event = json.loads(snapshot.summary[AUDIT_PROPERTY])
            row = {key: event[key] for key in ("flight", "action", "booking_id", "seat", "passenger", "agent", "mode",
                                               "at_ms")}
            row.update(seq=snapshot.sequence_number, snapshot_id=snapshot.snapshot_id)
            by_flight.setdefault(row["flight"], []).append(row)
        for flight, rows in by_flight.items():
            self.audit.append_records(rows, partition_values={"flight": flight})

    def recover_audit(self):
        """Copies the audit records of kept seats snapshots that have no
        audit row yet (the server died between the commit and its copy);
        returns how many. A copy made twice (the request's own and this one,
        racing) is one row to audit_of."""
        audited = [s for s in self.seats.history() if AUDIT_PROPERTY in s.summary]
        if not audited:
            return 0
        ids = ", ".join(str(s.snapshot_id) for s in audited)
        present = {r["snapshot_id"] for r in self.audit.scan(columns=["snapshot_id"], filter=f"snapshot_id in ({ids})")}
        missing = [s for s in audited if s.snapshot_id not in present]
        self._append_audit(missing)
        return len(missing)

    def audit_of(self, flight):
        self._require_flight(flight)
        rows = {r["snapshot_id"]: r for r in self.audit.scan(filter=f"flight = '{flight}'")}
        return sorted(rows.values(), key=lambda r: r["seq"])

    # ---- customers: one aggregate, one version ------------------------------

    def add_customer(self, name, email):
        for value, what in ((name, "name"), (email, "email")):
            if not isinstance(value, str) or not value.strip():
                raise Refused(400, f"{what} must be a non-empty string")
        customer_id = uuid.uuid4().hex
        with self.customers.new_transaction() as tx:
            tx.append_data([{"customer_id": customer_id, "kind": "customer", "name": name.strip(),
                             "email": email.strip(), "created_ms": _now_ms()}])
            tx.commit()
            version = tx.committed_snapshot.snapshot_id
        return {"customer_id": customer_id, "version": version}

    def customer(self, customer_id):
        _check(ID_RE, customer_id, "customer id")
        snapshot = self.customers.current_snapshot()
        rows = [] if snapshot is None else self.customers.scan(
            snapshot_id=snapshot.snapshot_id, filter=f"customer_id = '{customer_id}'")
        root = [r for r in rows if r["kind"] == "customer"]
        if not root:
            raise Refused(404, f"no customer {customer_id}")
        addresses = sorted((r for r in rows if r["kind"] == "address"), key=lambda r: (r["created_ms"], r["address_id"]))
        return {
            "customer_id": customer_id,
            "name": root[0]["name"],
            "email": root[0]["email"],
            "addresses": [{"address_id": a["address_id"], "address": a["address"]} for a in addresses],
            "version": snapshot.snapshot_id,
        }

    def add_address(self, customer_id, address, if_match=None):
        current = self.customer(customer_id)
        if not isinstance(address, str) or not address.strip():
            raise Refused(400, "address must be a non-empty string")
        address_id = uuid.uuid4().hex
        expected = if_match if if_match is not None else current["version"]
        try:
            with guarded_transaction(self.customers, expected=expected,
                                     scope=f"customer_id = '{customer_id}'") as tx:
                tx.append_data([{"customer_id": customer_id, "kind": "address", "address_id": address_id,
                                 "address": address.strip(), "created_ms": _now_ms()}])
                tx.commit()
                version = tx.committed_snapshot.snapshot_id
        except CommitConflict:
            raise Refused(412, f"customer {customer_id} changed since version {expected}; load it again") from None
        return {"customer_id": customer_id, "address_id": address_id, "version": version}

    def change_email(self, customer_id, email, if_match):
        self.customer(customer_id)
        if not isinstance(email, str) or not email.strip():
            raise Refused(400, "email must be a non-empty string")
        if if_match is None:
            raise Refused(428, f"changing the email of customer {customer_id} needs If-Match")
        # The version covers the whole aggregate: an address added since the
        # agent's read makes this stale too (coarse-grained lock).
        try:
            with guarded_transaction(self.customers, expected=if_match,
                                     scope=f"customer_id = '{customer_id}'") as tx:
                tx.update({"email": email.strip()}, f"customer_id = '{customer_id}' and kind = 'customer'")
                tx.commit()
        except CommitConflict:
            raise Refused(412, f"customer {customer_id} changed since version {if_match}; load it again") from None
        return self.customer(customer_id)

    # ---- locks ---------------------------------------------------------------

    def _acquire(self, resource, owner, ttl, wait):
        try:
            return self.locks.acquire(resource, owner=owner, ttl=ttl, wait=wait)
        except (LockNotAcquired, DeadlockDetected) as error:
            raise Refused(423, f"{resource} is locked: {error}") from None

    def _live_lease(self, lease):
        """Refuses to write under a lease that is no longer held (423)."""
        try:
            self.locks.renew(lease, ttl=max(1.0, lease.expiry.timestamp() - time.time()))
        except LockExpired:
            raise Refused(423, f"the lock on {lease.resource} expired before the write") from None

    def _release(self, lease):
        try:
            self.locks.release(lease)
        except LockExpired:
            pass  # it expired on its own: nothing left to release

    def _holders(self, resource):
        leases = self.locks.inspect(resource)
        return ", ".join(f"{l.owner} holds {l.resource}" for l in leases) or "held"


def _quote(value):
    return str(value).replace("'", "''")


def _seat_key(seat):
    return (int(seat[:-1]), seat[-1])


def _positive_ms(value, what, allow_zero=False, limit=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise Refused(400, f"{what} must be a {'non-negative' if allow_zero else 'positive'} integer, got {value!r}")
    if limit is not None and value > limit:
        raise Refused(400, f"{what} must be at most {limit}, got {value}")
    return value
