"""The HTTP side of flighthub (DESIGN.md §12): routes, statuses and headers.

The optimistic offline lock travels as ETag / If-Match (412 when stale), the
pessimistic one as an edit session whose Lock-Token a write must carry (423
without it or once it expired). Errors are {"error": "..."}.
"""

from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from datashard import DatashardError, Unavailable

from .store import Refused, Store

STATIC = Path(__file__).resolve().parent / "static"


def _etag(version):
    return f'"{version}"'


def _if_match():
    """The version an If-Match header names, or None without one."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    text = raw.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    try:
        return int(text)
    except ValueError:
        raise Refused(400, f"If-Match {raw!r} is not a version this server handed out") from None


def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object")
    return data


def _with_etag(payload, status=200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["ETag"] = _etag(payload["version"])
    return response


def create_app(data_dir, locks_url=None, settings=None):
    store = Store(data_dir, locks_url, settings)
    app = Flask("flighthub", static_folder=None)
    app.config["store"] = store

    @app.errorhandler(Refused)
    def refused(error):
        return jsonify(error=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error):
        return jsonify(error=f"{error.name}: {error.description}"), error.code

    @app.errorhandler(Unavailable)
    def unavailable(error):
        return jsonify(error=str(error)), 503

    @app.errorhandler(DatashardError)
    def datashard_error(error):
        return jsonify(error=f"{type(error).__name__}: {error}"), 500

    @app.get("/")
    def page():
        return (STATIC / "index.html").read_text(encoding="utf-8"), 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/app.js")
    def script():
        return (STATIC / "app.js").read_text(encoding="utf-8"), 200, {
            "Content-Type": "text/javascript; charset=utf-8"
        }

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.post("/flights")
    def add_flight():
        body = _body()
        flight = store.add_flight(
            body.get("flight"), body.get("seats"), body.get("origin"), body.get("destination"), body.get("departure")
        )
        return _with_etag(flight, 201)

    @app.get("/flights")
    def search():
        args = request.args
        return jsonify(flights=store.search(args.get("number"), args.get("origin"), args.get("destination")))

    @app.get("/flights/<flight>")
    def show(flight):
        return _with_etag(store.flight(flight))

    @app.put("/flights/<flight>")
    def edit(flight):
        body = _body()
        token = request.headers.get("Lock-Token")
        return _with_etag(store.edit_flight(flight, body.get("blocked"), _if_match(), token))

    @app.post("/flights/<flight>/edit-session")
    def open_session(flight):
        body = _body()
        return jsonify(store.open_edit_session(flight, body.get("agent"), body.get("ttl_ms"))), 201

    @app.delete("/flights/<flight>/edit-session")
    def close_session(flight):
        token = request.headers.get("Lock-Token")
        if token is None:
            raise Refused(423, f"closing the edit session of flight {flight} needs its Lock-Token")
        store.close_edit_session(flight, token)
        return "", 204

    @app.post("/flights/<flight>/bookings")
    def book(flight):
        body = _body()
        booking = store.book(
            flight, body.get("seat"), body.get("passenger"), body.get("mode", "optimistic"), _if_match(),
            body.get("agent"),
        )
        return jsonify(booking), 201

    @app.delete("/bookings/<booking_id>")
    def cancel(booking_id):
        store.cancel(booking_id, request.args.get("agent"))
        return "", 204

    @app.post("/bookings/<booking_id>/confirm")
    def confirm(booking_id):
        body = request.get_json(silent=True) or {}
        return jsonify(store.confirm(booking_id, body.get("agent"), body.get("payment_ms", 0)))

    @app.get("/flights/<flight>/reservations")
    def reservations(flight):
        return jsonify(reservations=store.reservations(flight, request.args.get("status")))

    @app.get("/flights/<flight>/audit")
    def audit(flight):
        return jsonify(audit=store.audit_of(flight))

    @app.get("/flights/<flight>/refunds")
    def refunds(flight):
        return jsonify(refunds=store.refunds_of(flight))

    @app.post("/customers")
    def add_customer():
        body = _body()
        customer = store.add_customer(body.get("name"), body.get("email"))
        return _with_etag(customer, 201)

    @app.get("/customers/<customer_id>")
    def customer(customer_id):
        return _with_etag(store.customer(customer_id))

    @app.post("/customers/<customer_id>/addresses")
    def add_address(customer_id):
        body = _body()
        return _with_etag(store.add_address(customer_id, body.get("address"), _if_match()), 201)

    @app.put("/customers/<customer_id>/email")
    def change_email(customer_id):
        body = _body()
        return _with_etag(store.change_email(customer_id, body.get("email"), _if_match()))

    return app
