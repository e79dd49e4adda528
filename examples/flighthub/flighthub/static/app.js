// The flighthub page: lists a flight's seats, books, cancels and edits
// blocked seats through the JSON API. The version shown is the ETag of the
// last load; saving sends it as If-Match, so a stale page gets 412.
"use strict";

const $ = (id) => document.getElementById(id);
let etag = null;

function say(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function call(method, url, body, headers) {
  const init = { method, headers: Object.assign({}, headers || {}) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  return { response, data };
}

function flightUrl() {
  return "/flights/" + encodeURIComponent($("flight").value.trim());
}

async function load() {
  const { response, data } = await call("GET", flightUrl());
  const body = $("seats").tBodies[0];
  body.replaceChildren();
  if (!response.ok) {
    etag = null;
    $("version").textContent = "-";
    say(data.error, true);
    return;
  }
  etag = response.headers.get("ETag");
  $("version").textContent = etag;
  for (const seat of data.seats) {
    const row = body.insertRow();
    row.className = seat.status;
    row.dataset.seat = seat.seat;
    row.insertCell().textContent = seat.seat;
    const status = row.insertCell();
    status.className = "status";
    status.textContent = seat.status;
    row.insertCell().textContent = seat.passenger || "";
    const blocked = document.createElement("input");
    blocked.type = "checkbox";
    blocked.className = "blocked";
    blocked.checked = Boolean(seat.blocked);
    row.insertCell().appendChild(blocked);
    const action = document.createElement("button");
    if (seat.status === "free") {
      action.textContent = "Book";
      action.className = "book";
      action.onclick = () => book(seat.seat);
    } else if (seat.booking_id) {
      action.textContent = "Cancel";
      action.className = "cancel";
      action.onclick = () => cancel(seat.booking_id);
    } else {
      action.disabled = true;
      action.textContent = "-";
    }
    row.insertCell().appendChild(action);
  }
}

async function book(seat) {
  const passenger = $("passenger").value.trim() || "guest";
  const headers = etag && $("mode").value === "optimistic" ? { "If-Match": etag } : {};
  const { response, data } = await call("POST", flightUrl() + "/bookings",
    { seat, passenger, mode: $("mode").value }, headers);
  if (response.status === 201) say("Booked seat " + seat + " for " + passenger + " (booking " + data.booking_id + ")");
  else say(response.status + ": " + data.error, true);
  await loadKeepingMessage();
}

async function cancel(bookingId) {
  const { response, data } = await call("DELETE", "/bookings/" + bookingId);
  if (response.status === 204) say("Cancelled booking " + bookingId + "; refunded");
  else say(response.status + ": " + data.error, true);
  await loadKeepingMessage();
}

async function save() {
  const blocked = [...document.querySelectorAll("#seats tbody tr")]
    .filter((row) => row.querySelector("input.blocked").checked)
    .map((row) => row.dataset.seat);
  const { response, data } = await call("PUT", flightUrl(), { blocked }, etag ? { "If-Match": etag } : {});
  if (response.ok) say("Saved blocked seats: " + (blocked.join(", ") || "none"));
  else say(response.status + ": " + data.error, true);
  if (response.ok) await loadKeepingMessage();
}

async function loadKeepingMessage() {
  const kept = [$("message").textContent, $("message").className];
  await load();
  $("message").textContent = kept[0];
  $("message").className = kept[1];
}

$("load").onclick = () => { say(""); load(); };
$("save").onclick = save;
load();
