// avsc decodes a manifest and a manifest list datashard wrote: header keys,
// the Avro schema's names and Iceberg field ids (spec "Manifests", "Manifest
// Lists", Appendix A), and every value against what datashard says it wrote.
// Usage: node avro_read_datashard.mjs AVRO_INTEROP_TOOL
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import { decodeFile, hex, unscaled } from './avro_common.mjs';
import { checkEntry, checkManifestFile, runTool } from './avro_tool.mjs';

const [tool] = scriptArgs(['AVRO_INTEROP_TOOL']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-avro-'));

// The branch of ["null", T] that is not null, asserting the optional form.
function optional(field) {
  assert.ok(Array.isArray(field.type), `${field.name} is a union`);
  assert.equal(field.type.length, 2);
  assert.equal(field.type[0], 'null', `${field.name}: null first`);
  assert.equal(field.default, null, `${field.name}: default null`);
  return field.type[1];
}

function checkFields(record, expected) {
  assert.deepEqual(
    record.fields.map((f) => [f.name, f['field-id']]),
    expected,
    `fields of ${record.name}`,
  );
}

function checkIntMap(field, keyId, valueId, valueType) {
  const t = optional(field);
  assert.equal(t.type, 'array');
  assert.equal(t.logicalType, 'map');
  assert.equal(t.items.name, `k${keyId}_v${valueId}`);
  assert.deepEqual(t.items.fields, [
    { name: 'key', type: 'int', 'field-id': keyId },
    { name: 'value', type: valueType, 'field-id': valueId },
  ]);
}

const named = {};
function resolve(t) {
  if (typeof t === 'string' && named[t]) return named[t];
  if (typeof t === 'object' && t.name) named[t.name] = t;
  return t;
}

function partitionValue(type, v) {
  if (v === null) return null;
  const t = resolve(Array.isArray(type) ? type[1] : type);
  const base = typeof t === 'string' ? t : t.type;
  if (t.logicalType === 'decimal') return unscaled(v);
  switch (base) {
    case 'long':
      return v.toString();
    case 'float':
    case 'double':
      return Number.isNaN(v) ? 'NaN' : v;
    case 'bytes':
    case 'fixed':
      return hex(v);
    default:
      return v;
  }
}

try {
  const written = runTool(tool, ['write', dir]);

  // ---- manifest
  const manifestPath = path.join(dir, 'manifest.avro');
  const m = await decodeFile(manifestPath);
  assert.equal(m.codec, 'deflate');
  assert.equal(m.meta['format-version'], '2');
  assert.equal(m.meta['content'], 'data');
  assert.equal(m.meta['schema-id'], '4');
  assert.equal(m.meta['partition-spec-id'], '1');
  assert.equal(JSON.parse(m.meta['schema'])['schema-id'], 4);
  const spec = JSON.parse(m.meta['partition-spec']);
  assert.ok(Array.isArray(spec), 'partition-spec is a JSON array of fields');
  assert.equal(spec.length, 15);

  const entry = m.schema;
  assert.equal(entry.name, 'manifest_entry');
  checkFields(entry, [
    ['status', 0], ['snapshot_id', 1], ['sequence_number', 3], ['file_sequence_number', 4],
    ['data_file', 2],
  ]);
  assert.equal(entry.fields[0].type, 'int');
  for (const i of [1, 2, 3]) assert.equal(optional(entry.fields[i]), 'long');
  const r2 = entry.fields[4].type;
  assert.equal(r2.name, 'r2');
  checkFields(r2, [
    ['content', 134], ['file_path', 100], ['file_format', 101], ['partition', 102],
    ['record_count', 103], ['file_size_in_bytes', 104], ['column_sizes', 108],
    ['value_counts', 109], ['null_value_counts', 110], ['nan_value_counts', 137],
    ['lower_bounds', 125], ['upper_bounds', 128], ['key_metadata', 131], ['split_offsets', 132],
    ['equality_ids', 135], ['sort_order_id', 140], ['referenced_data_file', 143],
  ]);
  const byName = Object.fromEntries(r2.fields.map((f) => [f.name, f]));
  checkIntMap(byName.column_sizes, 117, 118, 'long');
  checkIntMap(byName.value_counts, 119, 120, 'long');
  checkIntMap(byName.null_value_counts, 121, 122, 'long');
  checkIntMap(byName.nan_value_counts, 138, 139, 'long');
  checkIntMap(byName.lower_bounds, 126, 127, 'bytes');
  checkIntMap(byName.upper_bounds, 129, 130, 'bytes');
  assert.deepEqual(optional(byName.split_offsets), { type: 'array', items: 'long', 'element-id': 133 });
  assert.deepEqual(optional(byName.equality_ids), { type: 'array', items: 'int', 'element-id': 136 });
  assert.equal(optional(byName.key_metadata), 'bytes');
  assert.equal(optional(byName.sort_order_id), 'int');
  assert.equal(optional(byName.referenced_data_file), 'string');
  const r102 = byName.partition.type;
  assert.equal(r102.name, 'r102');
  const fields = written.entries[0].data_file.partition;
  checkFields(r102, fields.map((p) => [p.name, p.field_id]));
  for (const [i, s] of spec.entries()) assert.equal(s['field-id'], fields[i].field_id);
  // Avro forms of the partition types (Appendix A).
  const avroTypes = Object.fromEntries(r102.fields.map((f) => [f.name, optional(f)]));
  assert.deepEqual(avroTypes.day, { type: 'int', logicalType: 'date' });
  assert.deepEqual(avroTypes.t, { type: 'long', logicalType: 'time-micros' });
  assert.deepEqual(avroTypes.ts, { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false });
  assert.deepEqual(avroTypes.tstz, { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true });
  assert.deepEqual(avroTypes.dec, { type: 'fixed', name: 'decimal_9_2', size: 4, logicalType: 'decimal', precision: 9, scale: 2 });
  assert.deepEqual(avroTypes.dec38, { type: 'fixed', name: 'decimal_38_4', size: 16, logicalType: 'decimal', precision: 38, scale: 4 });
  assert.deepEqual(avroTypes.u, { type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' });
  assert.deepEqual(avroTypes.fx, { type: 'fixed', name: 'fixed_3', size: 3 });
  assert.equal(avroTypes.bin, 'bytes');
  assert.equal(avroTypes.s, 'string');

  assert.equal(m.records.length, written.entries.length);
  for (const [i, want] of written.entries.entries()) {
    const got = m.records[i];
    checkEntry(got, want, i);
    const d = got.data_file;
    const w = want.data_file;
    assert.deepEqual(
      r102.fields.map((f) => partitionValue(f.type, d.partition[f.name])),
      w.partition.map((p) => p.value),
      `entry ${i} partition`,
    );
    assert.equal(d.key_metadata, null);
    assert.deepEqual(d.equality_ids ?? [], w.equality_ids);
    assert.equal(d.referenced_data_file, w.referenced_data_file);
  }
  // Spot checks against literal values, independent of the tool's report.
  const first = m.records[0].data_file;
  assert.equal(first.partition.l, 9223372036854775807n);
  assert.equal(hex(first.partition.dec), '0000058c');
  assert.equal(hex(first.partition.u), 'f79c3e09677c4bbda4793f349cb785e7');
  assert.equal(first.partition.s, 'héllo');
  assert.equal(first.file_size_in_bytes, 8589934592n);

  // ---- manifest list
  const l = await decodeFile(path.join(dir, 'list.avro'));
  assert.equal(l.codec, 'deflate');
  assert.equal(l.meta['snapshot-id'], '77');
  assert.equal(l.meta['parent-snapshot-id'], 'null');
  assert.equal(l.meta['sequence-number'], '6');
  assert.equal(l.meta['format-version'], '2');
  assert.equal(l.schema.name, 'manifest_file');
  checkFields(l.schema, [
    ['manifest_path', 500], ['manifest_length', 501], ['partition_spec_id', 502], ['content', 517],
    ['sequence_number', 515], ['min_sequence_number', 516], ['added_snapshot_id', 503],
    ['added_files_count', 504], ['existing_files_count', 505], ['deleted_files_count', 506],
    ['added_rows_count', 512], ['existing_rows_count', 513], ['deleted_rows_count', 514],
    ['partitions', 507], ['key_metadata', 519],
  ]);
  const partitions = optional(l.schema.fields[13]);
  assert.equal(partitions.type, 'array');
  assert.equal(partitions['element-id'], 508);
  assert.equal(partitions.items.name, 'r508');
  checkFields(partitions.items, [
    ['contains_null', 509], ['contains_nan', 518], ['lower_bound', 510], ['upper_bound', 511],
  ]);
  assert.equal(l.records.length, 1);
  const got = l.records[0];
  const want = written.manifest_list[0];
  assert.equal(got.manifest_path, manifestPath);
  assert.equal(got.manifest_length, BigInt(fs.statSync(manifestPath).size));
  checkManifestFile(got, want);
  assert.equal(got.added_files_count, 1);
  assert.equal(got.existing_files_count, 1);
  assert.equal(got.deleted_files_count, 1);
  assert.equal(got.partitions[3].contains_nan, true);  // the float field saw a NaN
  assert.equal(got.partitions[2].contains_null, true);
  assert.equal(hex(got.partitions[5].lower_bound), 'fe7961'); // decimal -999.99, minimal bytes
  console.log(`avsc read ${m.records.length} manifest entries and ${l.records.length} manifest_file rows`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
