#!/bin/sh
# DATASHARD_SYNC_GROUP (src/io/posix_file_io.cc): each forced way commits;
# a bad value fails the commit with InvalidArgument (exit 2) naming the
# setting, and leaves neither a snapshot nor a data file behind.
# Usage: sync_group_setting.sh DATASHARD
set -u
ds=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$ds" create "$d/t" --schema '[{"id":1,"name":"a","type":"long","required":true}]' >/dev/null ||
  { echo "create failed"; exit 1; }
for mode in auto each shared; do
  echo '{"a":1}' | DATASHARD_SYNC_GROUP=$mode "$ds" append "$d/t" >/dev/null ||
    { echo "append with DATASHARD_SYNC_GROUP=$mode failed"; exit 1; }
done
files=$(find "$d/t/data" -type f | wc -l)
echo '{"a":2}' | DATASHARD_SYNC_GROUP=bogus "$ds" append "$d/t" >/dev/null 2>"$d/err"
rc=$?
[ "$rc" = 2 ] || { echo "a bad setting exited $rc, expected 2"; exit 1; }
grep -q "InvalidArgument: DATASHARD_SYNC_GROUP is 'bogus': expected auto, each or shared" "$d/err" ||
  { echo "unexpected message: $(cat "$d/err")"; exit 1; }
[ "$("$ds" count "$d/t")" = 3 ] || { echo "the refused append changed the table"; exit 1; }
[ "$(find "$d/t/data" -type f | wc -l)" = "$files" ] || { echo "the refused append left files"; exit 1; }
echo ok
