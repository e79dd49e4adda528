#!/usr/bin/env bash
# Rewrites the generated seed corpora under fuzz/corpus/ from files real
# writers make: DuckDB and hyparquet-writer (the npm oracles of tests/interop,
# installed by scripts/bootstrap.sh) and datashard itself (its CLI). The
# expression seeds are written by hand and left alone.
# Usage: fuzz/make_seeds.sh [DATASHARD_CLI]   (default build/datashard)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLI=$(realpath "${1:-build/datashard}")
CORPUS=$ROOT/fuzz/corpus
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# fuzz_support.h's AllTypesSchema() and AllTransformsSpec().
SCHEMA='[{"id":1,"name":"b","type":"boolean","required":false},
 {"id":2,"name":"i","type":"int","required":true},
 {"id":3,"name":"l","type":"long","required":false},
 {"id":4,"name":"f","type":"float","required":false},
 {"id":5,"name":"d","type":"double","required":false},
 {"id":6,"name":"dec","type":"decimal(9, 2)","required":false},
 {"id":7,"name":"big","type":"decimal(38, 10)","required":false},
 {"id":8,"name":"day","type":"date","required":false},
 {"id":9,"name":"t","type":"time","required":false},
 {"id":10,"name":"ts","type":"timestamp","required":false},
 {"id":11,"name":"tz","type":"timestamptz","required":false},
 {"id":12,"name":"s","type":"string","required":false},
 {"id":13,"name":"u","type":"uuid","required":false},
 {"id":14,"name":"fx","type":"fixed[4]","required":false},
 {"id":15,"name":"bin","type":"binary","required":false}]'
SPEC='i,bucket(8,l),truncate(3,s),truncate(100,dec),year(day),month(ts),day(tz),hour(ts),bucket(4,u),truncate(2,bin)'
echo "$SCHEMA" > "$WORK/schema.json"

cat > "$WORK/rows1.jsonl" <<'ROWS'
{"b":true,"i":1,"l":-9223372036854775808,"f":1.5,"d":-0.0,"dec":"1234567.89","big":"-9999999999999999999999999999.9999999999","day":"2024-03-05","t":"23:59:59.999999","ts":"2024-01-31T12:00:00.000001","tz":"2024-01-31T12:00:00.000001+00:00","s":"é日本😀","u":"f79c3e09-677c-4bbd-a479-3f349cb785e7","fx":"AAECAw==","bin":""}
{"b":false,"i":-2147483648,"l":9223372036854775807,"f":"NaN","d":"Infinity","dec":"-0.01","big":"0.0000000001","day":"1900-01-01","t":"00:00:00.000000","ts":"1969-12-31T23:59:59.999999","tz":"2000-02-29T00:00:00.000000+00:00","s":"","u":"00000000-0000-0000-0000-000000000000","fx":"/////w==","bin":"AP8="}
{"b":null,"i":7,"l":null,"f":null,"d":null,"dec":null,"big":null,"day":null,"t":null,"ts":null,"tz":null,"s":null,"u":null,"fx":null,"bin":null}
ROWS
cat > "$WORK/rows2.jsonl" <<'ROWS'
{"i":2147483647,"l":42,"f":-3.4028235e38,"d":1e-320,"s":"it's","ts":"2262-04-11T23:47:16.854775","tz":"1677-09-21T00:12:43.145225+00:00"}
{"i":3,"s":"value-3","day":"0001-01-01","dec":"0.00","bin":"aGVsbG8="}
ROWS

# Parquet: DuckDB and hyparquet-writer, then datashard with every codec.
rm -f "$CORPUS"/parquet_reader/*
(cd tests/interop && node fuzz_parquet_seeds.mjs "$CORPUS/parquet_reader")
for codec in zstd snappy gzip none; do
  cat "$WORK/rows1.jsonl" "$WORK/rows2.jsonl" |
    "$CLI" parquet write "$CORPUS/parquet_reader/datashard_$codec.parquet" \
      --schema @"$WORK/schema.json" --codec "$codec"
done

# A table with a few commits: metadata, manifests, manifest lists, rows.
T=$WORK/table
"$CLI" create "$T" --schema @"$WORK/schema.json" --partition-by "$SPEC" >/dev/null
"$CLI" append "$T" "$WORK/rows1.jsonl" >/dev/null
"$CLI" append "$T" "$WORK/rows2.jsonl" >/dev/null
"$CLI" append "$T" "$WORK/rows1.jsonl" >/dev/null
rm -f "$CORPUS"/table_metadata_json/* "$CORPUS"/avro_reader/* "$CORPUS"/manifest_reader/* \
  "$CORPUS"/json_lines/*
for v in 1 4; do
  cp "$T/metadata/v$v.metadata.json" "$CORPUS/table_metadata_json/v$v.metadata.json"
done
# Manifest lists seed the Avro container reader, manifests the manifest
# reader; one of the other kind each as well.
n=0
for f in $(ls -S -r "$T"/metadata/snap-*.avro); do
  n=$((n + 1))
  cp "$f" "$CORPUS/avro_reader/manifest_list_$n.avro"
done
cp "$f" "$CORPUS/manifest_reader/manifest_list_$n.avro"
n=0
for f in $(ls -S -r "$T"/metadata/*-m*.avro); do
  n=$((n + 1))
  cp "$f" "$CORPUS/manifest_reader/manifest_$n.avro"
done
cp "$f" "$CORPUS/avro_reader/manifest_$n.avro"
"$CLI" scan "$T" --format jsonl > "$CORPUS/json_lines/scan.jsonl"
cp "$WORK/rows1.jsonl" "$CORPUS/json_lines/rows1.jsonl"
cp "$WORK/rows2.jsonl" "$CORPUS/json_lines/rows2.jsonl"

# The same table with an ingest log: the payloads of its records.
L=$WORK/logged
"$CLI" create "$L" --schema @"$WORK/schema.json" --partition-by "$SPEC" --ingest-log >/dev/null
"$CLI" append "$L" "$WORK/rows1.jsonl" >/dev/null
"$CLI" append "$L" "$WORK/rows2.jsonl" >/dev/null
"$CLI" checkpoint "$L" >/dev/null
"$CLI" append "$L" "$WORK/rows1.jsonl" >/dev/null
v=$(ls "$L"/metadata/v*.metadata.json | sort -V | tail -1)
cp "$v" "$CORPUS/table_metadata_json/checkpointed.metadata.json"
rm -f "$CORPUS"/log_record/*
# Record layout (src/log/ingest_log.h): u32 length, u32 CRC, u64 LSN,
# u32 payload length, u32 flags, payload; padded to 8 bytes.
/usr/bin/python3 - "$L/log" "$CORPUS/log_record" <<'PY'
import os, struct, sys
log, out = sys.argv[1], sys.argv[2]
for seg in sorted(f for f in os.listdir(log) if f.endswith(".log")):
    data = open(os.path.join(log, seg), "rb").read()
    pos = 0
    while pos + 24 <= len(data):
        length, _crc, lsn, size, flags = struct.unpack_from("<IIQII", data, pos)
        if length == 0:
            break
        if flags & 1 == 0:
            with open(os.path.join(out, "append_lsn%d.bin" % lsn), "wb") as f:
                f.write(data[pos + 24:pos + 24 + size])
        pos += length
PY
ls -l "$CORPUS"/*/
