#!/usr/bin/env bash
# Scan throughput: a ROWS-row table (default 10,000,000; 500,000-row appends)
# scanned by datashard (every column decoded into batches, and a selective
# filter on id that file statistics prune), next to DuckDB's read_parquet
# over the same data files with the same filter, in one run.
# Usage: bench/scan.sh [ROWS]   (needs scripts/build.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
BENCH="$PWD/${DATASHARD_BUILD_DIR:-build}/bench/scan_bench"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/datashard-scan-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LO=$((ROWS / 2))
HI=$((LO + 10000))

start=$(date +%s.%N)
"$BENCH" build "$WORK/t" "$ROWS"
echo "built $ROWS rows in $(echo "$(date +%s.%N) - $start" | bc) s: $(ls "$WORK/t/data" | wc -l) data files," \
  "$(du -sh "$WORK/t/data" | cut -f1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

ours=$("$BENCH" scan "$WORK/t" "$LO" "$HI")
theirs=$(node tests/interop/scan_bench_duckdb.mjs "$WORK" "$WORK/t/data/*.parquet" "$LO" "$HI")
field() { echo "$1" | awk -v k="$2" -v f="$3" '$1 == k { print $f }'; }
printf '%-26s %9s %9s %11s %14s\n' "" "wall s" "cpu s" "rows" "Mrows/s wall"
for name in datashard_full_scan duckdb_full_scan datashard_selective_scan duckdb_selective_scan; do
  out="$ours"
  case $name in duckdb*) out="$theirs" ;; esac
  w=$(field "$out" "$name" 2)
  printf '%-26s %9.3f %9.3f %11s %14.2f\n' "$name" "$w" "$(field "$out" "$name" 3)" \
    "$(field "$out" "$name" 4)" "$(echo "scale=4; $ROWS / $w / 1000000" | bc)"
done
echo "datashard selective scan: $(field "$ours" datashard_selective_scan 6) data files pruned," \
  "$(field "$ours" datashard_selective_scan 5) bytes read (full scan: $(field "$ours" datashard_full_scan 5))"
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
echo "wall ratio datashard / DuckDB: full $(ratio "$(field "$ours" datashard_full_scan 2)" \
  "$(field "$theirs" duckdb_full_scan 2)"), selective $(ratio "$(field "$ours" datashard_selective_scan 2)" \
  "$(field "$theirs" duckdb_selective_scan 2)")"
