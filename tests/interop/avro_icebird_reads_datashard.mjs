// icebird's Avro reader (the one its Iceberg scans use) decodes a manifest
// and a manifest list datashard wrote: deflate blocks, header metadata,
// every entry field and partition value of the types icebird supports.
// Usage: node avro_icebird_reads_datashard.mjs AVRO_INTEROP_TOOL
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { avroMetadata, avroRead } from 'icebird';

const tool = process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-avro-'));

function icebirdDecode(file) {
  const buf = fs.readFileSync(file);
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 };
  const { metadata, syncMarker } = avroMetadata(reader);
  return { metadata, records: avroRead({ reader, metadata, syncMarker }) };
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const DAY_MS = 86400000;

// icebird's form of a partition value, as the tool reports it.
function expectedPartition(p) {
  if (p.value === null) return undefined;
  switch (p.type) {
    case 'long': return BigInt(p.value);
    case 'date': return new Date(p.value * DAY_MS).toISOString();
    case 'timestamp':
    case 'timestamptz': return new Date(Number(BigInt(p.value) / 1000n)).toISOString();
    case 'binary': return p.value;
    case 'float':
    case 'double': return p.value === 'NaN' ? 'NaN' : p.value;
    default: return p.value;
  }
}

function actualPartition(v) {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return v;
}

function intMap(list, f) {
  const out = {};
  for (const { key, value } of list ?? []) out[String(key)] = f(value);
  return out;
}

try {
  const written = JSON.parse(execFileSync(tool, ['write', dir], { encoding: 'utf8' }));

  const m = icebirdDecode(path.join(dir, 'common.avro'));
  assert.equal(m.metadata['avro.codec'], 'deflate');
  assert.equal(m.metadata['format-version'], '2');
  assert.equal(m.metadata['content'], 'data');
  assert.equal(m.metadata['schema']['schema-id'], 4);
  assert.equal(m.records.length, written.common_entries.length);
  for (const [i, want] of written.common_entries.entries()) {
    const got = m.records[i];
    const added = want.status === 1;
    assert.equal(got.status, want.status);
    assert.equal(got.snapshot_id, BigInt(want.snapshot_id ?? '77'));
    assert.equal(got.sequence_number, added ? undefined : BigInt(want.sequence_number));
    assert.equal(got.file_sequence_number, added ? undefined : BigInt(want.file_sequence_number));
    const d = got.data_file;
    const w = want.data_file;
    assert.equal(d.content, w.content);
    assert.equal(d.file_path, w.file_path);
    assert.equal(d.file_format, w.file_format);
    assert.deepEqual(
      w.partition.map((p) => actualPartition(d.partition[p.name])),
      w.partition.map(expectedPartition),
      `entry ${i} partition`,
    );
    assert.equal(d.record_count, BigInt(w.record_count));
    assert.equal(d.file_size_in_bytes, BigInt(w.file_size_in_bytes));
    assert.deepEqual(intMap(d.column_sizes, String), w.column_sizes);
    assert.deepEqual(intMap(d.value_counts, String), w.value_counts);
    assert.deepEqual(intMap(d.null_value_counts, String), w.null_value_counts);
    assert.deepEqual(intMap(d.nan_value_counts, String), w.nan_value_counts);
    assert.deepEqual(intMap(d.lower_bounds, hex), w.lower_bounds);
    assert.deepEqual(intMap(d.upper_bounds, hex), w.upper_bounds);
    assert.deepEqual((d.split_offsets ?? []).map(String), w.split_offsets);
    assert.equal(d.sort_order_id, w.sort_order_id ?? undefined);
  }

  const l = icebirdDecode(path.join(dir, 'list.avro'));
  assert.equal(l.metadata['snapshot-id'], '77');
  assert.equal(l.metadata['parent-snapshot-id'], 'null');
  assert.equal(l.records.length, 1);
  const want = written.manifest_list[0];
  const got = l.records[0];
  for (const k of Object.keys(want)) {
    if (k === 'partitions') continue;
    assert.equal(String(got[k]), String(want[k]), `manifest_file.${k}`);
  }
  assert.deepEqual(
    got.partitions.map((p) => ({
      contains_null: p.contains_null,
      contains_nan: p.contains_nan ?? null,
      lower_bound: p.lower_bound === undefined ? null : hex(p.lower_bound),
      upper_bound: p.upper_bound === undefined ? null : hex(p.upper_bound),
    })),
    want.partitions,
  );
  console.log(`icebird read ${m.records.length} manifest entries and ${l.records.length} manifest_file rows`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
