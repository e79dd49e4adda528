"""Each offline concurrency pattern of flighthub through its HTTP API (DESIGN.md §12)."""

import threading
import time


def version_of(response):
    etag = response.headers["ETag"]
    assert etag == f'"{response.get_json()["version"]}"'
    return etag


def seat(client, flight, name):
    return next(s for s in client.get(f"/flights/{flight}").get_json()["seats"] if s["seat"] == name)


def test_flight_is_added_shown_and_found(client, flight):
    shown = client.get(f"/flights/{flight}")
    assert shown.status_code == 200
    body = shown.get_json()
    assert [(s["seat"], s["status"], s["passenger"]) for s in body["seats"]] == [
        ("1A", "free", None), ("1B", "free", None), ("2A", "free", None), ("2B", "free", None)]
    version_of(shown)
    assert client.get("/flights?number=LO123").get_json()["flights"][0]["flight"] == "LO123"
    assert client.get("/flights?number=XX1").get_json() == {"flights": []}
    again = client.post("/flights", json={"flight": "LO123", "seats": ["1A"]})
    assert again.status_code == 409 and "exists already" in again.get_json()["error"]
    missing = client.get("/flights/XX1")
    assert missing.status_code == 404 and missing.get_json() == {"error": "no flight XX1"}
    assert client.get("/health").status_code == 200


def test_booking_modes_and_their_refusals(client, flight):
    stale = version_of(client.get(f"/flights/{flight}"))
    booked = client.post(f"/flights/{flight}/bookings", json={"seat": "1A", "passenger": "Ann", "mode": "pessimistic"})
    assert booked.status_code == 201
    assert booked.get_json()["seat"] == "1A" and len(booked.get_json()["booking_id"]) == 32
    # Optimistic with the version read before that booking: 412.
    late = client.post(f"/flights/{flight}/bookings", json={"seat": "1B", "passenger": "Bob", "mode": "optimistic"},
                       headers={"If-Match": stale})
    assert late.status_code == 412 and "changed since version" in late.get_json()["error"]
    fresh = version_of(client.get(f"/flights/{flight}"))
    ok = client.post(f"/flights/{flight}/bookings", json={"seat": "1B", "passenger": "Bob", "mode": "optimistic"},
                     headers={"If-Match": fresh})
    assert ok.status_code == 201
    for mode in ("optimistic", "pessimistic", "none"):
        taken = client.post(f"/flights/{flight}/bookings", json={"seat": "1A", "passenger": "Cy", "mode": mode})
        assert taken.status_code == 409 and taken.get_json() == {"error": "seat 1A of flight LO123 is taken"}
    bad = client.post(f"/flights/{flight}/bookings", json={"seat": "2A", "passenger": "Cy", "mode": "careful"})
    assert bad.status_code == 400
    assert seat(client, flight, "1A")["passenger"] == "Ann" and seat(client, flight, "1B")["passenger"] == "Bob"


def test_two_agents_edit_one_flight_optimistic_second_save_412(client, flight):
    martin = version_of(client.get(f"/flights/{flight}"))
    david = version_of(client.get(f"/flights/{flight}"))
    saved = client.put(f"/flights/{flight}", json={"blocked": ["2A"]}, headers={"If-Match": david})
    assert saved.status_code == 200
    assert saved.headers["ETag"] != david
    lost = client.put(f"/flights/{flight}", json={"blocked": ["2B"]}, headers={"If-Match": martin})
    assert lost.status_code == 412
    assert "load it again" in lost.get_json()["error"]
    assert seat(client, flight, "2A")["status"] == "blocked" and seat(client, flight, "2B")["status"] == "free"
    # Martin loads again and saves on top of David's change.
    again = version_of(client.get(f"/flights/{flight}"))
    assert client.put(f"/flights/{flight}", json={"blocked": ["2A", "2B"]}, headers={"If-Match": again}).status_code == 200
    blocked = client.post(f"/flights/{flight}/bookings", json={"seat": "2B", "passenger": "Eve", "mode": "none"})
    assert blocked.status_code == 409 and "blocked" in blocked.get_json()["error"]
    assert client.put(f"/flights/{flight}", json={"blocked": []}).status_code == 428


def test_two_agents_edit_one_flight_pessimistic_second_session_423(client, flight):
    opened = client.post(f"/flights/{flight}/edit-session", json={"agent": "martin"})
    assert opened.status_code == 201
    token = opened.get_json()["lock_token"]
    assert opened.get_json()["expires_ms"] > time.time() * 1000
    second = client.post(f"/flights/{flight}/edit-session", json={"agent": "david"})
    assert second.status_code == 423 and "edit:martin" in second.get_json()["error"]
    # Neither an optimistic save nor a wrong token gets past the session.
    current = version_of(client.get(f"/flights/{flight}"))
    assert client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"If-Match": current}).status_code == 423
    assert client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"Lock-Token": "999999"}).status_code == 423
    # The session locks the flight and so each of its seats: a pessimistic booking waits, then 423.
    waited = client.post(f"/flights/{flight}/bookings", json={"seat": "1B", "passenger": "Bob", "mode": "pessimistic"})
    assert waited.status_code == 423
    saved = client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"Lock-Token": token})
    assert saved.status_code == 200 and seat(client, flight, "1A")["status"] == "blocked"
    assert client.delete(f"/flights/{flight}/edit-session", headers={"Lock-Token": token}).status_code == 204
    assert client.post(f"/flights/{flight}/edit-session", json={"agent": "david"}).status_code == 201


def test_lease_expires_during_a_pause_and_the_stale_write_is_refused(client, flight):
    martin = client.post(f"/flights/{flight}/edit-session", json={"agent": "martin", "ttl_ms": 400}).get_json()
    time.sleep(1.0)  # Martin pauses past his lease
    refused = client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"Lock-Token": martin["lock_token"]})
    assert refused.status_code == 423
    assert seat(client, flight, "1A")["status"] == "free"
    # David takes the flight over and writes; Martin's stale token stays refused.
    david = client.post(f"/flights/{flight}/edit-session", json={"agent": "david"})
    assert david.status_code == 201
    assert int(david.get_json()["lock_token"]) > int(martin["lock_token"])
    headers = {"Lock-Token": david.get_json()["lock_token"]}
    assert client.put(f"/flights/{flight}", json={"blocked": ["2B"]}, headers=headers).status_code == 200
    stale = client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"Lock-Token": martin["lock_token"]})
    assert stale.status_code == 423
    assert seat(client, flight, "1A")["status"] == "free" and seat(client, flight, "2B")["status"] == "blocked"


def test_cancel_twice_refunds_once_and_frees_the_seat(app, client, flight):
    booking = client.post(f"/flights/{flight}/bookings",
                          json={"seat": "2A", "passenger": "Ann", "mode": "optimistic"}).get_json()["booking_id"]
    statuses = []
    start = threading.Barrier(2)

    def cancel():
        own = app.test_client()
        start.wait()
        response = own.delete(f"/bookings/{booking}")
        statuses.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in statuses) == [204, 409]
    assert [body for code, body in statuses if code == 409] == [{"error": f"booking {booking} is cancelled already"}]
    refunds = client.get(f"/flights/{flight}/refunds").get_json()["refunds"]
    assert [(r["booking_id"], r["amount_cents"]) for r in refunds] == [(booking, 10000)]
    assert seat(client, flight, "2A")["status"] == "free"
    assert client.delete(f"/bookings/{booking}").status_code == 409
    assert client.delete("/bookings/" + "0" * 32).status_code == 404
    audit = client.get(f"/flights/{flight}/audit").get_json()["audit"]
    assert [(a["action"], a["booking_id"]) for a in audit] == [("booked", booking), ("cancelled", booking)]
    assert audit[0]["seq"] < audit[1]["seq"]
    rebooked = client.post(f"/flights/{flight}/bookings", json={"seat": "2A", "passenger": "Bob", "mode": "none"})
    assert rebooked.status_code == 201


def test_confirm_holds_the_booking_against_other_agents(app, client, flight):
    booking = client.post(f"/flights/{flight}/bookings",
                          json={"seat": "1A", "passenger": "Ann", "mode": "none"}).get_json()["booking_id"]
    first = {}

    def pay():
        first["response"] = app.test_client().post(f"/bookings/{booking}/confirm", json={"payment_ms": 1500})

    payer = threading.Thread(target=pay)
    payer.start()
    deadline = time.monotonic() + 10
    while not app.config["store"].locks.inspect(f"flighthub/bookings/{booking}") and time.monotonic() < deadline:
        time.sleep(0.02)
    second = client.post(f"/bookings/{booking}/confirm", json={})
    payer.join()
    assert second.status_code == 423 and "locked" in second.get_json()["error"]
    assert first["response"].status_code == 200 and first["response"].get_json()["status"] == "confirmed"
    confirmed = client.get(f"/flights/{flight}/reservations?status=confirmed").get_json()["reservations"]
    assert [(r["booking_id"], r["seat"], r["status"]) for r in confirmed] == [(booking, "1A", "confirmed")]
    assert client.get(f"/flights/{flight}/reservations?status=reserved").get_json() == {"reservations": []}
    assert client.get(f"/flights/{flight}/reservations?status=lost").status_code == 400
    assert [a["action"] for a in client.get(f"/flights/{flight}/audit").get_json()["audit"]] == ["booked", "confirmed"]


def test_new_address_makes_a_stale_email_change_fail(client):
    created = client.post("/customers", json={"name": "Ann", "email": "ann@example.org"})
    assert created.status_code == 201
    customer = created.get_json()["customer_id"]
    read = client.get(f"/customers/{customer}")
    stale = version_of(read)
    assert read.get_json()["addresses"] == []
    added = client.post(f"/customers/{customer}/addresses", json={"address": "1 Long Street"})
    assert added.status_code == 201
    refused = client.put(f"/customers/{customer}/email", json={"email": "ann@new.example"}, headers={"If-Match": stale})
    assert refused.status_code == 412
    assert client.get(f"/customers/{customer}").get_json()["email"] == "ann@example.org"
    assert client.put(f"/customers/{customer}/email", json={"email": "x@y.z"}).status_code == 428
    fresh = client.get(f"/customers/{customer}")
    # Another customer's aggregate is outside this version's scope.
    other = client.post("/customers", json={"name": "Bob", "email": "bob@example.org"}).get_json()["customer_id"]
    assert client.post(f"/customers/{other}/addresses", json={"address": "3 Side Lane"}).status_code == 201
    changed = client.put(f"/customers/{customer}/email", json={"email": "ann@new.example"},
                         headers={"If-Match": version_of(fresh)})
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["email"] == "ann@new.example"
    assert [a["address"] for a in body["addresses"]] == ["1 Long Street"]
    # An address sent with a stale If-Match is refused the same way.
    late = client.post(f"/customers/{customer}/addresses", json={"address": "2 Short Road"}, headers={"If-Match": stale})
    assert late.status_code == 412


def test_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and b'<table id="seats">' in page.data
    assert client.get("/app.js").status_code == 200


def test_cancel_that_fails_midway_unlocks_and_its_retry_does_not_pay_twice(app, client, flight, monkeypatch):
    from datashard import DatashardIOError

    store = app.config["store"]
    booking = client.post(f"/flights/{flight}/bookings",
                          json={"seat": "1A", "passenger": "Ann", "mode": "none"}).get_json()["booking_id"]
    real = store._set_status

    def disk_full(*args):
        raise DatashardIOError("no space left on device (injected between refund and seat)")

    monkeypatch.setattr(store, "_set_status", disk_full)
    failed = client.delete(f"/bookings/{booking}")
    assert failed.status_code == 500 and "no space left" in failed.get_json()["error"]
    assert store.locks.inspect(f"flighthub/bookings/{booking}") == []  # unlocked on the error
    assert seat(client, flight, "1A")["status"] == "reserved"
    monkeypatch.setattr(store, "_set_status", real)
    assert client.delete(f"/bookings/{booking}").status_code == 204
    refunds = client.get(f"/flights/{flight}/refunds").get_json()["refunds"]
    assert [r["booking_id"] for r in refunds] == [booking]
    assert seat(client, flight, "1A")["status"] == "free"


def test_a_stale_session_write_is_refused_at_the_commit_point(app, client, flight, monkeypatch):
    store = app.config["store"]
    martin = client.post(f"/flights/{flight}/edit-session", json={"agent": "martin", "ttl_ms": 400}).get_json()
    martins_lease = store._session(flight, martin["lock_token"])
    time.sleep(1.0)
    david = client.post(f"/flights/{flight}/edit-session", json={"agent": "david"}).get_json()
    saved = client.put(f"/flights/{flight}", json={"blocked": ["2B"]}, headers={"Lock-Token": david["lock_token"]})
    assert saved.status_code == 200
    # Martin's process passed its lease check before the pause and resumes
    # right at the commit: only the token check inside the commit is left.
    monkeypatch.setattr(store, "_session", lambda flight, token: martins_lease)
    monkeypatch.setattr(store, "_live_lease", lambda lease: None)
    stale = client.put(f"/flights/{flight}", json={"blocked": ["1A"]}, headers={"Lock-Token": martin["lock_token"]})
    assert stale.status_code == 423
    assert stale.get_json() == {"error": "the edit session of flight LO123 was taken over"}
    assert seat(client, flight, "1A")["status"] == "free" and seat(client, flight, "2B")["status"] == "blocked"


def test_a_booking_on_another_flight_leaves_this_flights_version_valid(client, flight):
    assert client.post("/flights", json={"flight": "LO999", "seats": ["1A", "1B"]}).status_code == 201
    version = version_of(client.get(f"/flights/{flight}"))
    other = client.post("/flights/LO999/bookings", json={"seat": "1A", "passenger": "Bob", "mode": "none"})
    assert other.status_code == 201
    assert client.get(f"/flights/{flight}").headers["ETag"] != version
    # The guard is scoped to LO123's rows: the commit on LO999 is rebased over.
    saved = client.put(f"/flights/{flight}", json={"blocked": ["2A"]}, headers={"If-Match": version})
    assert saved.status_code == 200
    booked = client.post(f"/flights/{flight}/bookings", json={"seat": "1A", "passenger": "Ann", "mode": "optimistic"},
                         headers={"If-Match": version})
    assert booked.status_code == 412  # the edit did change LO123


def data_files(store, flight):
    batches = store.seats.scan_batches(filter=f"flight = '{flight}'")
    for _ in batches:
        pass
    return batches.metrics["data_files_considered"] - batches.metrics["data_files_pruned"]


def test_compaction_leaves_versions_valid_and_a_cancel_in_flight_goes_through(app, client, flight):
    store = app.config["store"]
    bookings = [client.post(f"/flights/{flight}/bookings", json={"seat": s, "passenger": "Ann", "mode": "none"})
                .get_json()["booking_id"] for s in ("1A", "1B", "2A")]
    version = version_of(client.get(f"/flights/{flight}"))
    assert data_files(store, flight) == 4  # the seat map and one file per booking
    result = store.compact_seats()
    assert result["files_rewritten"] == 4 and data_files(store, flight) == 1
    # The rewrite kept every row as it was: a version read before it is still
    # good for the optimistic lock.
    assert client.post(f"/flights/{flight}/bookings", json={"seat": "2B", "passenger": "Bob", "mode": "optimistic"},
                       headers={"If-Match": version}).status_code == 201
    # A cancel whose booking's file another compaction rewrites while its
    # transaction is open is applied again on the rewritten file, not refused.
    seats = store.seats

    class CompactedBeforeCommit:
        def __init__(self, tx):
            self.tx = tx

        def __getattr__(self, name):
            return getattr(self.tx, name)

        def __enter__(self):
            self.tx.__enter__()
            return self

        def __exit__(self, *error):
            return self.tx.__exit__(*error)

        def commit(self):
            assert seats.compact()["files_rewritten"] > 0
            return self.tx.commit()

    class Seats:
        def __getattr__(self, name):
            return getattr(seats, name)

        def new_transaction(self, **options):
            return CompactedBeforeCommit(seats.new_transaction(**options))

    store.seats = Seats()
    try:
        assert client.delete(f"/bookings/{bookings[0]}").status_code == 204
    finally:
        store.seats = seats
    assert [seat(client, flight, s)["status"] for s in ("1A", "1B", "2A", "2B")] == [
        "free", "reserved", "reserved", "reserved"]
    assert [r["booking_id"] for r in client.get(f"/flights/{flight}/refunds").get_json()["refunds"]] == [bookings[0]]
    store.compact_seats()
    assert data_files(store, flight) == 1


def test_a_version_no_longer_kept_is_412(client, flight):
    gone = client.post(f"/flights/{flight}/bookings", json={"seat": "1A", "passenger": "Ann", "mode": "optimistic"},
                       headers={"If-Match": '"12345"'})
    assert gone.status_code == 412
    assert gone.get_json() == {"error": "flight LO123: version 12345 is no longer kept; load it again"}


def test_audit_and_refunds_are_append_only_log_tables(app):
    store = app.config["store"]
    for table in (store.audit, store.refunds):
        assert table.properties["datashard.ingest-log.enabled"] == "true"
    assert "datashard.ingest-log.enabled" not in store.seats.properties


def test_an_audit_record_lost_with_the_server_is_recovered_from_its_commit(app, client, flight, monkeypatch):
    from datashard import DatashardIOError

    store = app.config["store"]
    kept = client.post(f"/flights/{flight}/bookings", json={"seat": "1A", "passenger": "Ann", "mode": "none"})
    assert kept.status_code == 201

    def crash(snapshot):
        raise DatashardIOError("the server died after the commit (injected)")

    monkeypatch.setattr(store, "_audit", crash)
    lost = client.post(f"/flights/{flight}/bookings", json={"seat": "1B", "passenger": "Bob", "mode": "pessimistic"})
    assert lost.status_code == 500
    assert seat(client, flight, "1B")["passenger"] == "Bob"  # committed, but not in the audit table yet
    assert [a["seat"] for a in client.get(f"/flights/{flight}/audit").get_json()["audit"]] == ["1A"]
    monkeypatch.undo()
    assert store.recover_audit() == 1
    assert store.recover_audit() == 0
    audit = client.get(f"/flights/{flight}/audit").get_json()["audit"]
    booked = {s.snapshot_id: s.sequence_number for s in store.seats.history()}
    assert [(a["action"], a["seat"], a["passenger"], a["mode"]) for a in audit] == [
        ("booked", "1A", "Ann", "none"), ("booked", "1B", "Bob", "pessimistic")]
    assert all(booked[a["snapshot_id"]] == a["seq"] for a in audit)
    # The request's own copy and a recovery racing it make one audit entry.
    store._append_audit([s for s in store.seats.history() if s.snapshot_id == audit[1]["snapshot_id"]])
    assert client.get(f"/flights/{flight}/audit").get_json()["audit"] == audit
