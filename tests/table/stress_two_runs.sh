#!/bin/sh
# Two `datashard stress` runs at once on one table, checked as one history
# (--history, --verify-history; docs/scale-out.md). Then the check must fail
# without one run's history: the other's reads saw rows nobody wrote.
# Usage: stress_two_runs.sh DATASHARD
set -u
ds=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
run() { "$ds" stress "$d/t" --processes 2 --commits 40 --readers 1 --history "$d/h" --json >"$d/$1.json"; }
run a & a=$!
run b & b=$!
wait $a || { echo "run a failed: $(cat "$d/a.json")"; exit 1; }
wait $b || { echo "run b failed: $(cat "$d/b.json")"; exit 1; }
"$ds" stress "$d/t" --history "$d/h" --verify-history --json >"$d/verify.json" ||
  { echo "verify failed: $(cat "$d/verify.json")"; exit 1; }
grep -q '"commits":160,' "$d/verify.json" && grep -q '"lost":0,' "$d/verify.json" &&
  grep -q '"ok":true' "$d/verify.json" ||
  { echo "verify did not find both runs' 160 commits: $(cat "$d/verify.json")"; exit 1; }
rm "$(ls "$d"/h/*.jsonl | head -n 1)"
"$ds" stress "$d/t" --history "$d/h" --verify-history --json >"$d/half.json" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'which no operation invoked' "$d/half.json" ||
  { echo "verify without one run's history exited $rc: $(cat "$d/half.json")"; exit 1; }
echo "two runs checked as one history: $(cat "$d/verify.json")"
