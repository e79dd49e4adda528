#!/usr/bin/env bash
# The row-change rows of bench/run: delete and update of 1% of a ROWS-row
# table (id long, k int, name string, score double; 500,000-row appends;
# the 1% is `k < 10`, spread over every data file) in copy-on-write and
# merge-on-read mode, and compaction of the merge-on-read table after its
# delete, each next to DuckDB doing the same DELETE or UPDATE on a table of
# its own database file loaded from the same Parquet (DuckDB has no
# compaction to compare with). Every measurement is one process on a fresh
# copy of the table, timed whole; DuckDB's are charged less their start-up
# (Node and DuckDB loading), measured in each process as its time before the
# statements ran, which include attaching the database file. Each is
# repeated and the median kept; the runs of both engines interleave so that
# they see the same machine.
#
#   bench/row_change_rows.sh BUILD_DIR WORK_DIR   (bench/run calls it;
#                                                  BENCH_ONLY=rowchange runs only these rows)
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
RESULTS="$BASE/row-change-results.txt"
: > "$RESULTS"
WHERE='k < 10'

echo "== row changes: 1% of $ROWS rows, median of $REPEAT" >&2
"$SB" build "$BASE/rc-table" "$ROWS"
"${DUCK[@]}" "ATTACH '$BASE/rc.duckdb' AS d" \
  "CREATE TABLE d.t AS SELECT * FROM read_parquet('$BASE/rc-table/data/*.parquet')" >/dev/null

source bench/measure.sh
# fresh MODE: a copy of the table in write mode MODE at $BASE/rc-t.
fresh() {
  rm -rf "$BASE/rc-t"
  cp -r "$BASE/rc-table" "$BASE/rc-t"
  "$DS" alter "$BASE/rc-t" set-property "write.delete.mode=$1" >/dev/null
  "$DS" alter "$BASE/rc-t" set-property "write.update.mode=$1" >/dev/null
}
duck() {
  cp "$BASE/rc.duckdb" "$BASE/rc-run.duckdb"
  measure "$1" duckdb "${DUCK[@]}" "ATTACH '$BASE/rc-run.duckdb' AS d" "$2"
}

for r in $(seq "$REPEAT"); do
  echo "   repeat $r" >&2
  for mode in copy-on-write merge-on-read; do
    fresh "$mode"
    measure "delete-$mode" datashard "$DS" delete "$BASE/rc-t" --where "$WHERE"
    [ "$mode" = merge-on-read ] && measure compact datashard "$DS" compact "$BASE/rc-t"
    fresh "$mode"
    measure "update-$mode" datashard "$DS" update "$BASE/rc-t" --set 'score=0' --where "$WHERE"
  done
  duck delete "DELETE FROM d.t WHERE $WHERE"
  duck update "UPDATE d.t SET score = 0 WHERE $WHERE"
done
rm -rf "$BASE"/rc-*

python3 - "$RESULTS" "$ROWS" <<'PY'
import sys
sys.path.insert(0, "bench")
from bench_results import load, median
rows = load(sys.argv[1])
n = int(sys.argv[2])
def med(kind, engine, key):
    return median(rows, kind, engine, key)
start_wall, start_cpu = med(None, "duckdb", "startup_wall"), med(None, "duckdb", "startup_cpu")
print(f"row changes, 1% of {n:,} rows (k < 10, in every data file), median of runs; DuckDB (its own "
      f"table file) less its start-up (median {start_wall:.3f} s wall, {start_cpu:.3f} s cpu); "
      f"ratio = DuckDB time / datashard time")
print(f"{'work':<40} {'datashard wall/cpu s':>21} {'DuckDB wall/cpu s':>19} {'ratio wall':>10} {'ratio cpu':>9}")
labels = [("delete-copy-on-write", "delete", "delete 1%, copy-on-write"),
          ("delete-merge-on-read", "delete", "delete 1%, merge-on-read"),
          ("update-copy-on-write", "update", "update 1%, copy-on-write"),
          ("update-merge-on-read", "update", "update 1%, merge-on-read"),
          ("compact", None, "compact after the merge-on-read delete")]
for kind, duck, label in labels:
    dw, dc = med(kind, "datashard", "wall"), med(kind, "datashard", "cpu")
    if duck is None:
        print(f"{label:<40} {dw:>10.3f} / {dc:<8.3f} {'(none)':>19}")
        continue
    kw, kc = med(duck, "duckdb", "wall"), med(duck, "duckdb", "cpu")
    print(f"{label:<40} {dw:>10.3f} / {dc:<8.3f} {kw:>8.3f} / {kc:<8.3f} {kw / dw:>9.2f}x {kc / dc:>8.2f}x")
PY
