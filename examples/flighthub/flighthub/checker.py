"""Checks a flighthub run against what its agents were told.

Inputs: the audit table (every committed booking and cancellation in commit
order), the final state (the reservations and refunds tables) and the agents'
acknowledgements (bookings answered 201, cancellations answered 204). Every
finding names the flight, seat and bookings involved.
"""

from collections import Counter, defaultdict


def check(audit, reservations, refunds, acked_bookings, acked_cancels):
    """audit, reservations, refunds: {flight: [rows]} as the API returns them;
    acked_bookings: [{"booking_id", "flight", "seat"}]; acked_cancels: [booking_id].
    Returns {"double_bookings", "lost_updates", "missing_bookings",
    "cancelled_not_free", "double_refunds", "missing_refunds", "clean"}."""
    findings = {
        "double_bookings": [],  # a seat with two live bookings at once (audit replay)
        "lost_updates": [],  # an acknowledged, never cancelled booking that does not hold its seat
        "missing_bookings": [],  # acknowledged but absent from the table or the audit
        "cancelled_not_free": [],  # acknowledged cancellation whose booking still holds the seat
        "double_refunds": [],  # more than one refund for one booking
        "missing_refunds": [],  # a cancelled booking without its refund
    }
    state = {}
    audited = set()
    for flight, rows in audit.items():
        holders = defaultdict(set)
        for row in sorted(rows, key=lambda r: r["seq"]):
            seat, booking = row["seat"], row["booking_id"]
            if row["action"] == "booked":
                audited.add(booking)
                if holders[seat]:
                    findings["double_bookings"].append(
                        {"flight": flight, "seat": seat, "bookings": sorted(holders[seat] | {booking}),
                         "seq": row["seq"]})
                holders[seat].add(booking)
            elif row["action"] == "cancelled":
                holders[seat].discard(booking)
        for row in reservations.get(flight, []):
            state[row["booking_id"]] = dict(row, flight=flight)

    for ack in acked_bookings:
        booking = ack["booking_id"]
        if booking not in state or booking not in audited:
            findings["missing_bookings"].append(
                dict(ack, in_table=booking in state, in_audit=booking in audited))

    # Who the seat map shows: the earliest live booking of each seat.
    shown = {}
    for booking, row in sorted(state.items(), key=lambda kv: (kv[1]["booked_ms"], kv[0])):
        if row["status"] in ("reserved", "confirmed"):
            shown.setdefault((row["flight"], row["seat"]), booking)
    for booking, row in state.items():
        if row["status"] in ("reserved", "confirmed") and shown[(row["flight"], row["seat"])] != booking:
            findings["lost_updates"].append(
                {"flight": row["flight"], "seat": row["seat"], "booking": booking,
                 "seat_shows": shown[(row["flight"], row["seat"])]})

    for booking in acked_cancels:
        row = state.get(booking)
        if row is None or row["status"] != "cancelled":
            findings["cancelled_not_free"].append(
                {"booking": booking, "status": None if row is None else row["status"]})

    paid = Counter(r["booking_id"] for rows in refunds.values() for r in rows)
    for booking, times in sorted(paid.items()):
        if times > 1:
            findings["double_refunds"].append({"booking": booking, "refunds": times})
    for booking, row in sorted(state.items()):
        if row["status"] == "cancelled" and not paid.get(booking):
            findings["missing_refunds"].append({"booking": booking, "flight": row["flight"], "seat": row["seat"]})

    findings["clean"] = not any(findings[k] for k in list(findings))
    return findings
