"""The simulation's checker finds each kind of damage it names."""

from flighthub.checker import check


def booking(booking_id, seat, status, ms):
    return {"booking_id": booking_id, "seat": seat, "status": status, "booked_ms": ms}


def audit_row(seq, action, booking_id, seat):
    return {"seq": seq, "action": action, "booking_id": booking_id, "seat": seat}


def test_a_clean_history_is_clean():
    audit = {"F": [audit_row(1, "booked", "a", "1A"), audit_row(2, "cancelled", "a", "1A"),
                   audit_row(3, "booked", "b", "1A")]}
    state = {"F": [booking("a", "1A", "cancelled", 1), booking("b", "1A", "reserved", 2)]}
    refunds = {"F": [{"booking_id": "a"}]}
    acked = [{"booking_id": "a", "flight": "F", "seat": "1A"}, {"booking_id": "b", "flight": "F", "seat": "1A"}]
    assert check(audit, state, refunds, acked, ["a"])["clean"] is True


def test_each_violation_is_reported():
    audit = {"F": [audit_row(2, "booked", "b", "1A"), audit_row(1, "booked", "a", "1A"),
                   audit_row(3, "booked", "c", "2A"), audit_row(4, "cancelled", "c", "2A")]}
    state = {"F": [booking("a", "1A", "reserved", 1), booking("b", "1A", "reserved", 2),
                   booking("c", "2A", "cancelled", 3), booking("d", "2B", "reserved", 4)]}
    refunds = {"F": [{"booking_id": "c"}, {"booking_id": "c"}, {"booking_id": "d"}]}
    acked = [{"booking_id": x, "flight": "F", "seat": "?"} for x in ("a", "b", "c", "d", "e")]
    found = check(audit, state, refunds, acked, ["c", "d"])
    assert found["clean"] is False
    assert found["double_bookings"] == [{"flight": "F", "seat": "1A", "bookings": ["a", "b"], "seq": 2}]
    assert found["lost_updates"] == [{"flight": "F", "seat": "1A", "booking": "b", "seat_shows": "a"}]
    assert [m["booking_id"] for m in found["missing_bookings"]] == ["d", "e"]
    assert found["cancelled_not_free"] == [{"booking": "d", "status": "reserved"}]
    assert found["double_refunds"] == [{"booking": "c", "refunds": 2}]
    assert found["missing_refunds"] == []
