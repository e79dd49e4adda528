#!/usr/bin/env bash
# Commit throughput of the file catalog: `datashard stress` with 1, 4 and 8
# writer processes (durable commits on the disk holding $BENCH_DIR, default a
# temporary folder under /var/tmp), then the I/O cost of a commit after 100
# and after 2,000 commits (tests/table/commit_cost_test). Prints commits/s.
set -euo pipefail
cd "$(dirname "$0")/.."
DS=${DATASHARD_CLI:-build/datashard}
COMMITS=${BENCH_COMMITS:-100}
BASE=$(mktemp -d "${BENCH_DIR:-/var/tmp}/datashard-bench-XXXXXX")
trap 'rm -rf "$BASE"' EXIT
# The stress table's schema, to pre-create it with the commit lock disabled
# (writers then race on link() alone and retry).
SCHEMA='[{"id":1,"name":"id","type":"long","required":true},{"id":2,"name":"run","type":"string","required":true},
{"id":3,"name":"writer","type":"int","required":true},{"id":4,"name":"seq","type":"int","required":true},
{"id":5,"name":"row","type":"int","required":true},{"id":6,"name":"payload","type":"string","required":false}]'
printf '%-8s %-14s %-8s %-11s %-8s %-9s\n' writers mode commits commits/s retries conflicts
for p in ${BENCH_WRITERS:-1 4 8}; do
  for mode in lock no-lock; do
    t="$BASE/t$p-$mode"
    if [ "$mode" = no-lock ]; then
      "$DS" create "$t" --schema "$SCHEMA" --property datashard.commit.lock.enabled=false \
        --property commit.retry.num-retries=10000
    fi
    "$DS" stress "$t" --processes "$p" --commits "$COMMITS" --rows-per-commit 10 --json > "$t.json"
    python3 - "$t.json" "$p" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<8} {sys.argv[3]:<14} {r['commits']:<8} {r['commits_per_second']:<11.1f} {r['retries']:<8} {r['conflicts']:<9}")
PY
  done
done
if [ -x build/tests/table/commit_cost_test ]; then
  build/tests/table/commit_cost_test | grep -v '^\['
fi
