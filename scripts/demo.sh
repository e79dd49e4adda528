#!/usr/bin/env bash
# The datashard demo: several writer processes append to one Iceberg table at
# once while reader processes check every snapshot they see; then the table is
# inspected with the CLI and read by two independent engines (DuckDB reads
# the Parquet data files, icebird reads the Iceberg metadata). Prints each
# fact it verified; exits non-zero on any mismatch.
#
# Size: DEMO_PROCESSES writers x DEMO_COMMITS commits x DEMO_ROWS rows, with
# DEMO_READERS readers. The default is the headline workload: 12 x 10,000
# single-row appends (120,000 durable commits) with 2 readers on a table with
# an ingest log (DESIGN.md §6a), which a checkpoint folds into Iceberg
# snapshots at the end. DEMO_INGEST_LOG=0 commits one snapshot per append
# instead (far slower: use e.g. DEMO_COMMITS=500 DEMO_ROWS=10 then).
set -euo pipefail
cd "$(dirname "$0")/.."
DS=${DATASHARD_CLI:-$PWD/${DATASHARD_BUILD_DIR:-build}/datashard}
if [ ! -x "$DS" ]; then
  echo "demo: $DS not found; run scripts/build.sh first" >&2
  exit 1
fi
P=${DEMO_PROCESSES:-12}
C=${DEMO_COMMITS:-10000}
R=${DEMO_ROWS:-1}
READERS=${DEMO_READERS:-2}
LOG_FLAG=--ingest-log
[ "${DEMO_INGEST_LOG:-1}" = 0 ] && LOG_FLAG=""
STARTED=$(date +%s)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
T="$WORK/events"
EXPECTED=$((P * C * R))

fail() { echo "MISMATCH: $*" >&2; exit 1; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

echo "== datashard stress $T --processes $P --commits $C --rows-per-commit $R --readers $READERS $LOG_FLAG"
# shellcheck disable=SC2086
"$DS" stress "$T" --processes "$P" --commits "$C" --rows-per-commit "$R" --readers "$READERS" $LOG_FLAG --json \
  > "$WORK/stress.json" || fail "stress reported anomalies: $(cat "$WORK/stress.json")"
for key in rows_expected rows_found lost duplicated phantom commits seconds commits_per_second retries conflicts reader_checks; do
  printf '  %-20s %s\n' "$key" "$(json_field "$key" < "$WORK/stress.json")"
done
[ "$(json_field rows_found < "$WORK/stress.json")" = "$EXPECTED" ] || fail "rows found"
for key in lost duplicated phantom; do
  [ "$(json_field "$key" < "$WORK/stress.json")" = "0" ] || fail "$key rows"
done
if [ -n "$LOG_FLAG" ]; then
  echo "verified: $((P * C)) durable commits through the ingest log from $P processes, $EXPECTED rows:" \
    "0 lost, 0 duplicated, 0 phantom; $(json_field reader_checks < "$WORK/stress.json") reads of the" \
    "current state checked whole and never going back by $READERS concurrent readers; the final" \
    "checkpoint's snapshot holds every acknowledged row exactly once"
  echo "== datashard checkpoint (idempotent: the stress run ended with one)"
  "$DS" checkpoint "$T" --json
else
  echo "verified: $((P * C)) commits from $P processes, $EXPECTED rows: 0 lost, 0 duplicated, 0 phantom;" \
    "$(json_field reader_checks < "$WORK/stress.json") snapshots checked whole by $READERS concurrent readers"
fi

echo "== datashard count / history / stats"
COUNT=$("$DS" count "$T")
[ "$COUNT" = "$EXPECTED" ] || fail "count printed $COUNT, expected $EXPECTED"
echo "verified: datashard count prints $COUNT"
"$DS" history "$T" --json > "$WORK/history.json"
python3 - "$WORK/history.json" "$EXPECTED" <<'PY' || fail "history"
import json, sys
h = json.load(open(sys.argv[1]))
for a, b in zip(h, h[1:]):
    assert b["parent_snapshot_id"] == a["snapshot_id"], "history is not one chain, oldest first"
    assert int(b["summary"]["total-records"]) > int(a["summary"]["total-records"])
last = h[-1]["summary"]
assert last["total-records"] == sys.argv[2], last
print(f"verified: history lists {len(h)} kept snapshots oldest first as one parent chain; "
      f"the newest has total-records {last['total-records']} after {last['datashard.total-commits']} commits")
PY
"$DS" stats "$T"

echo "== independent readers: DuckDB and icebird"
if command -v node >/dev/null && [ -d tests/interop/node_modules/icebird ]; then
  node tests/interop/table_demo_check.mjs "$T" "$EXPECTED" || fail "independent readers"
else
  fail "node and the npm oracles (tests/interop/node_modules) are needed: run scripts/bootstrap.sh"
fi

echo "== Parquet round trip (datashard writes, DuckDB reads)"
node tests/interop/parquet_demo.mjs "$DS" || fail "parquet round trip"
echo "demo passed in $(( $(date +%s) - STARTED )) s"
