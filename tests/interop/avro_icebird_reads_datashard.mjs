// icebird's Avro reader (the one its Iceberg scans use) decodes a manifest
// and a manifest list datashard wrote: deflate blocks, header metadata,
// every entry field and partition value of the types icebird supports.
// Usage: node avro_icebird_reads_datashard.mjs AVRO_INTEROP_TOOL
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { avroMetadata, avroRead } from 'icebird';

import { scriptArgs } from './args.mjs';
import { hex } from './avro_common.mjs';
import { checkEntry, checkManifestFile, runTool } from './avro_tool.mjs';

const [tool] = scriptArgs(['AVRO_INTEROP_TOOL']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-avro-'));

function icebirdDecode(file) {
  const buf = fs.readFileSync(file);
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 };
  const { metadata, syncMarker } = avroMetadata(reader);
  return { metadata, records: avroRead({ reader, metadata, syncMarker }) };
}

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

try {
  const written = runTool(tool, ['write', dir]);

  const m = icebirdDecode(path.join(dir, 'common.avro'));
  assert.equal(m.metadata['avro.codec'], 'deflate');
  assert.equal(m.metadata['format-version'], '2');
  assert.equal(m.metadata['content'], 'data');
  assert.equal(m.metadata['schema']['schema-id'], 4);
  assert.equal(m.records.length, written.common_entries.length);
  for (const [i, want] of written.common_entries.entries()) {
    const got = m.records[i];
    checkEntry(got, want, i);
    const d = got.data_file;
    assert.deepEqual(
      want.data_file.partition.map((p) => actualPartition(d.partition[p.name])),
      want.data_file.partition.map(expectedPartition),
      `entry ${i} partition`,
    );
  }

  const l = icebirdDecode(path.join(dir, 'list.avro'));
  assert.equal(l.metadata['snapshot-id'], '77');
  assert.equal(l.metadata['parent-snapshot-id'], 'null');
  assert.equal(l.records.length, 1);
  checkManifestFile(l.records[0], written.manifest_list[0]);
  console.log(`icebird read ${m.records.length} manifest entries and ${l.records.length} manifest_file rows`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
