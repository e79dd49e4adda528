#!/usr/bin/env bash
# The data-path rows of bench/run: writing ROWS rows (long, string, double)
# from JSON Lines to zstd Parquet, and full, selective, filtered-count and
# filtered-to-JSON-Lines scans of a ROWS-row table (id long, k int, name
# string, score double; 500,000-row appends), each next to DuckDB doing the
# same work in the same run. Every measurement is one process, timed whole;
# DuckDB's are charged less their start-up (Node and DuckDB loading, about a
# second here), measured in each process as its time before the statements
# ran. Each is repeated and the median kept; the runs of both engines
# interleave so that they see the same machine.
#
#   bench/data_rows.sh BUILD_DIR WORK_DIR   (bench/run calls it; BENCH_ONLY=data
#                                            runs only these rows)
#   env knobs: BENCH_DATA_ROWS (default 10000000), BENCH_REPEAT (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DS="$ROOT/$1/datashard"
SB="$ROOT/$1/bench/scan_bench"
BASE=$2
ROWS=${BENCH_DATA_ROWS:-10000000}
REPEAT=${BENCH_REPEAT:-3}
DUCK=(node "$ROOT/tests/interop/duckdb_run.mjs" "$BASE")
RESULTS="$BASE/data-results.txt"
: > "$RESULTS"

echo "== data path: $ROWS rows, median of $REPEAT" >&2
awk -v n="$ROWS" 'BEGIN {
  for (i = 0; i < n; i++)
    printf("{\"id\":%d,\"name\":\"customer-%d-%s\",\"score\":%.4f}\n", i * 7 - 3000000, i % 5000,
           substr("abcdefghijklmnopqrstuvwxyz", 1 + i % 26), (i % 100000) / 16.0)
}' > "$BASE/rows.jsonl"
"$SB" build "$BASE/t" "$ROWS"
GLOB="read_parquet('$BASE/t/data/*.parquet')"
LO=$((ROWS / 2))
HI=$((LO + 10000))
SCHEMA='[{"id":1,"name":"id","type":"long","required":true},{"id":2,"name":"name","type":"string","required":true},{"id":3,"name":"score","type":"double","required":true}]'

source bench/measure.sh

for r in $(seq "$REPEAT"); do
  echo "   repeat $r" >&2
  rm -f "$BASE/ds.parquet" "$BASE/duck.parquet"
  measure write datashard "$DS" parquet write "$BASE/ds.parquet" --schema "$SCHEMA" --codec zstd < "$BASE/rows.jsonl"
  measure write duckdb "${DUCK[@]}" "COPY (SELECT * FROM read_json('$BASE/rows.jsonl', format = 'newline_delimited',
    columns = {'id': 'BIGINT', 'name': 'VARCHAR', 'score': 'DOUBLE'})) TO '$BASE/duck.parquet' (FORMAT parquet, COMPRESSION zstd)"
  measure full datashard "$SB" full "$BASE/t"
  measure full duckdb "${DUCK[@]}" "SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM $GLOB"
  measure selective datashard "$SB" range "$BASE/t" "$LO" "$HI"
  measure selective duckdb "${DUCK[@]}" \
    "SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM $GLOB WHERE id >= $LO AND id < $HI"
  measure count datashard "$SB" count "$BASE/t" "k < 300"
  measure count duckdb "${DUCK[@]}" "SELECT count(*) FROM $GLOB WHERE k < 300"
  measure jsonl datashard sh -c "'$DS' scan '$BASE/t' --where 'k < 300' > '$BASE/ds.jsonl'"
  measure jsonl duckdb "${DUCK[@]}" "COPY (SELECT * FROM $GLOB WHERE k < 300) TO '$BASE/duck.jsonl' (FORMAT json)"
done
SIZES="$(stat -c %s "$BASE/ds.parquet") $(stat -c %s "$BASE/duck.parquet")"
rm -rf "$BASE/t" "$BASE/rows.jsonl" "$BASE"/*.parquet "$BASE"/*.jsonl

python3 - "$RESULTS" "$ROWS" $SIZES <<'PY'
import sys
sys.path.insert(0, "bench")
from bench_results import load, median
rows = load(sys.argv[1])
n, ds_size, duck_size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def med(kind, engine, key):
    return median(rows, kind, engine, key)
start_wall, start_cpu = med(None, "duckdb", "startup_wall"), med(None, "duckdb", "startup_cpu")
print(f"data path, {n:,} rows, median of runs; DuckDB less its start-up "
      f"(median {start_wall:.3f} s wall, {start_cpu:.3f} s cpu); ratio = DuckDB time / datashard time")
print(f"{'work':<36} {'datashard wall/cpu s':>21} {'DuckDB wall/cpu s':>19} {'ratio wall':>10} {'ratio cpu':>9}")
labels = [("write", "Parquet write, JSON Lines -> zstd"), ("full", "full scan, every column"),
          ("selective", "selective scan, 10k-row id range"), ("count", "filtered count, k < 300"),
          ("jsonl", "filtered scan to JSON Lines, k < 300")]
for kind, label in labels:
    dw, dc = med(kind, "datashard", "wall"), med(kind, "datashard", "cpu")
    kw, kc = med(kind, "duckdb", "wall"), med(kind, "duckdb", "cpu")
    print(f"{label:<36} {dw:>10.3f} / {dc:<8.3f} {kw:>8.3f} / {kc:<8.3f} {kw / dw:>9.2f}x {kc / dc:>8.2f}x")
counts = {r["out"] for r in rows if r["kind"] == "count"}
if len(counts) != 1:
    print(f"WARNING: the filtered counts differ: {sorted(counts)}")
print(f"Parquet file size: datashard {ds_size / 1e6:.1f} MB, DuckDB {duck_size / 1e6:.1f} MB "
      f"({ds_size / duck_size:.2f}x)")
PY
