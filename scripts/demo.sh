#!/usr/bin/env bash
# The datashard demo: several writer processes append to one Iceberg table at
# once while reader processes check every snapshot they see; then the table is
# inspected with the CLI and read by two independent engines (DuckDB reads
# the Parquet data files, icebird reads the Iceberg metadata). Prints each
# fact it verified; exits non-zero on any mismatch.
#
# Size: DEMO_PROCESSES writers x DEMO_COMMITS commits x DEMO_ROWS rows, with
# DEMO_READERS readers. The default, 12 x 500 x 10 with 2 readers (6,000
# durable commits), takes about two minutes on a 2-core machine at the ~60-80
# commits/s measured there; the full 12 x 10,000 (`DEMO_COMMITS=10000`)
# would take about half an hour, too long for a first command.
set -euo pipefail
cd "$(dirname "$0")/.."
DS=${DATASHARD_CLI:-$PWD/${DATASHARD_BUILD_DIR:-build}/datashard}
if [ ! -x "$DS" ]; then
  echo "demo: $DS not found; run scripts/build.sh first" >&2
  exit 1
fi
P=${DEMO_PROCESSES:-12}
C=${DEMO_COMMITS:-500}
R=${DEMO_ROWS:-10}
READERS=${DEMO_READERS:-2}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
T="$WORK/events"
EXPECTED=$((P * C * R))

fail() { echo "MISMATCH: $*" >&2; exit 1; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

echo "== datashard stress $T --processes $P --commits $C --rows-per-commit $R --readers $READERS"
"$DS" stress "$T" --processes "$P" --commits "$C" --rows-per-commit "$R" --readers "$READERS" --json \
  > "$WORK/stress.json" || fail "stress reported anomalies: $(cat "$WORK/stress.json")"
for key in rows_expected rows_found lost duplicated phantom commits seconds commits_per_second retries conflicts reader_checks; do
  printf '  %-20s %s\n' "$key" "$(json_field "$key" < "$WORK/stress.json")"
done
[ "$(json_field rows_found < "$WORK/stress.json")" = "$EXPECTED" ] || fail "rows found"
for key in lost duplicated phantom; do
  [ "$(json_field "$key" < "$WORK/stress.json")" = "0" ] || fail "$key rows"
done
echo "verified: $((P * C)) commits from $P processes, $EXPECTED rows: 0 lost, 0 duplicated, 0 phantom;" \
  "$(json_field reader_checks < "$WORK/stress.json") snapshots checked whole by $READERS concurrent readers"

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
echo "demo passed"
