#!/usr/bin/env bash
# Lock manager throughput next to the raw server baselines, measured in the
# same run: acquire+release pairs per second with 1 and 8 processes, each on
# its own resource, per backend.
#   SQLite:     lock_bench sqlite-raw (two durable BEGIN IMMEDIATE commits:
#               insert a row, delete it; WAL, synchronous=FULL as the lock table)
#   PostgreSQL: pgbench, one INSERT and one DELETE (two autocommits) per pair
#   Redis:      redis-benchmark, SET key NX PX (one round trip; a pair of
#               ours is two script calls)
# Usage: bench/lock_bench.sh [SECONDS]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-3}
BENCH=${DATASHARD_BUILD_DIR:-build}/bench/lock_bench
# shellcheck disable=SC1091
source scripts/services.sh
datashard_services_start
PG_URL=$DATASHARD_TEST_POSTGRES_URL
REDIS_PORT=${DATASHARD_TEST_REDIS_URL##*:}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ours() { "$BENCH" lock "$1" "$2" "$SECS" | sed 's/pairs_per_second=//'; }

raw_sqlite() { "$BENCH" sqlite-raw "$TMP/raw-$1.db" "$1" "$SECS" | sed 's/pairs_per_second=//'; }

raw_postgres() {
  psql -q "$PG_URL" -c "CREATE TABLE IF NOT EXISTS datashard_bench_raw(resource text PRIMARY KEY, owner text)" >/dev/null
  cat >"$TMP/pair.sql" <<'SQL'
\set id random(1, 1000000000)
INSERT INTO datashard_bench_raw VALUES ('r' || :client_id || '-' || :id, 'o');
DELETE FROM datashard_bench_raw WHERE resource = 'r' || :client_id || '-' || :id;
SQL
  pgbench -n -M prepared -c "$1" -j "$1" -T "$SECS" -f "$TMP/pair.sql" "$PG_URL" 2>/dev/null |
    awk '/^tps = / { printf "%.0f\n", $3; exit }'
}

raw_redis() {
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -q -c "$1" -n $((20000 * $1)) -r 1000000 \
    SET "datashard:bench:__rand_int__" x NX PX 30000 |
    tr '\r' '\n' | awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($(i+1) == "requests") v = $i } END { printf "%.0f\n", v }'
}

printf "%-10s %5s %14s %14s %7s\n" backend procs "ours pairs/s" "raw /s" ratio
for procs in 1 8; do
  for backend in sqlite postgres redis; do
    case $backend in
      sqlite) o=$(ours "sqlite:$TMP/locks-$procs.db" "$procs"); r=$(raw_sqlite "$procs") ;;
      postgres) o=$(ours "$PG_URL" "$procs"); r=$(raw_postgres "$procs") ;;
      redis) o=$(ours "$DATASHARD_TEST_REDIS_URL" "$procs"); r=$(raw_redis "$procs") ;;
    esac
    printf "%-10s %5s %14s %14s %7s\n" "$backend" "$procs" "$o" "$r" "$(ratio "$o" "$r")"
  done
done
