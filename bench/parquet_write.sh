#!/usr/bin/env bash
# Writing and reading 1,000,000 rows (long, string, double): `datashard
# parquet write` (zstd) from JSON Lines next to DuckDB's COPY of the same
# rows to zstd Parquet, and `datashard parquet cat` next to DuckDB reading
# the same file, all in one run. Prints the times and the ratios.
# Usage: bench/parquet_write.sh [ROWS]   (needs scripts/build.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
CLI="$PWD/${DATASHARD_BUILD_DIR:-build}/datashard"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/datashard-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

awk -v n="$ROWS" 'BEGIN {
  for (i = 0; i < n; i++)
    printf("{\"id\":%d,\"name\":\"customer-%d-%s\",\"score\":%.4f}\n", i * 7 - 3000000, i % 5000,
           substr("abcdefghijklmnopqrstuvwxyz", 1 + i % 26), (i % 100000) / 16.0)
}' > "$WORK/rows.jsonl"
echo "input: $ROWS rows, $(du -h "$WORK/rows.jsonl" | cut -f1) of JSON Lines; $(nproc) cores"

# Wall-clock and CPU seconds (user + system) of one command.
TIMEFORMAT='%R %U %S'
timed() {
  local t
  t=$( { time "$@" >/dev/null; } 2>&1 )
  echo "$t" | awk '{ printf("%.3f %.3f", $1, $2 + $3) }'
}
SCHEMA='[{"id":1,"name":"id","type":"long","required":true},{"id":2,"name":"name","type":"string","required":true},{"id":3,"name":"score","type":"double","required":true}]'

write_ds() { "$CLI" parquet write "$WORK/datashard.parquet" --schema "$SCHEMA" --codec zstd < "$WORK/rows.jsonl"; }
read_ds() { "$CLI" parquet cat "$WORK/datashard.parquet"; }
read -r ds_write ds_write_cpu <<< "$(timed write_ds)"
read -r ds_read ds_read_cpu <<< "$(timed read_ds)"

duck=$(node tests/interop/parquet_bench_duckdb.mjs "$WORK" "$WORK/rows.jsonl" "$WORK/datashard.parquet")
wall() { echo "$duck" | awk -v k="$1" '$1 == k { print $2 }'; }
cpu() { echo "$duck" | awk -v k="$1" '$1 == k { print $3 }'; }
size() { du -h "$1" | cut -f1; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (wall times suffer on a busy machine; CPU times less)"
printf '%-46s %9s %9s\n' "" "wall s" "cpu s"
printf '%-46s %9.3f %9.3f  %s\n' "datashard parquet write (JSON Lines -> zstd)" "$ds_write" "$ds_write_cpu" \
  "$(size "$WORK/datashard.parquet")"
printf '%-46s %9.3f %9.3f  %s\n' "DuckDB COPY read_json -> zstd Parquet" "$(wall duckdb_jsonl_to_parquet)" \
  "$(cpu duckdb_jsonl_to_parquet)" "$(size "$WORK/duckdb.parquet")"
printf '%-46s %9.3f %9.3f\n' "DuckDB COPY table -> zstd Parquet (no JSON)" "$(wall duckdb_table_to_parquet)" \
  "$(cpu duckdb_table_to_parquet)"
printf '%-46s %9.3f %9.3f\n' "datashard parquet cat (Parquet -> JSON Lines)" "$ds_read" "$ds_read_cpu"
printf '%-46s %9.3f %9.3f\n' "DuckDB COPY read_parquet -> JSON" "$(wall duckdb_parquet_to_jsonl)" \
  "$(cpu duckdb_parquet_to_jsonl)"
printf '%-46s %9.3f %9.3f\n' "DuckDB scan read_parquet (aggregates only)" "$(wall duckdb_parquet_scan)" \
  "$(cpu duckdb_parquet_scan)"
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
echo "write ratio datashard / DuckDB (same JSON Lines): wall $(ratio "$ds_write" "$(wall duckdb_jsonl_to_parquet)"), cpu $(ratio "$ds_write_cpu" "$(cpu duckdb_jsonl_to_parquet)")"
echo "read ratio datashard cat / DuckDB to JSON:       wall $(ratio "$ds_read" "$(wall duckdb_parquet_to_jsonl)"), cpu $(ratio "$ds_read_cpu" "$(cpu duckdb_parquet_to_jsonl)")"
