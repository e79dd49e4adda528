// avsc writes manifests and manifest lists in the shapes Java and PyIceberg
// write (extra optional fields datashard does not write, fields in another
// order, v1 layouts and names), and datashard must read every value, with
// sequence-number and snapshot-id inheritance applied.
// Usage: node avro_write_java_shape.mjs AVRO_INTEROP_TOOL
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import { encodeFile, hex } from './avro_common.mjs';
import { runTool } from './avro_tool.mjs';
import { dataFileRecord, manifestEntryRecord, manifestListSchemaV2, opt } from './iceberg_avro_schemas.mjs';

const [tool] = scriptArgs(['AVRO_INTEROP_TOOL']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-avro-'));

const partitionType = {
  type: 'record',
  name: 'r102',
  fields: [
    opt('category', 'string', 1000),
    opt('event_day', { type: 'int', logicalType: 'date' }, 1001),
    opt('id_bucket', 'int', 1002),
    opt('amount', { type: 'fixed', name: 'decimal_10_2', size: 5, logicalType: 'decimal', precision: 10, scale: 2 }, 1003),
    opt('uid', { type: 'string', logicalType: 'uuid' }, 1004),
    opt('ts_hour', 'int', 1005),
  ],
};

// Java's v2 data_file plus fields datashard ignores: block_size_in_bytes
// (v1), distinct_counts, first_row_id (v3), content_offset and
// content_size_in_bytes (v3), with file_format and record_count moved.
const javaV2Entry = manifestEntryRecord(2, dataFileRecord(partitionType, `content file_format file_path
  partition file_size_in_bytes block_size_in_bytes column_sizes? value_counts? null_value_counts?
  nan_value_counts? distinct_counts? lower_bounds? upper_bounds? record_count key_metadata? split_offsets?
  equality_ids? sort_order_id? first_row_id? referenced_data_file? content_offset? content_size_in_bytes?`));

const BIG_SNAPSHOT = 8333333333333333333n; // beyond 2^53, as Java's random ids are
const kv = (m) => Object.entries(m).map(([key, value]) => ({ key: Number(key), value }));
const dataFile = (over) => ({
  content: 0,
  file_format: 'PARQUET',
  file_path: '/warehouse/t/data/x.parquet',
  partition: { category: null, event_day: null, id_bucket: null, amount: null, uid: null, ts_hour: null },
  file_size_in_bytes: 4096n,
  block_size_in_bytes: 67108864n,
  column_sizes: null,
  value_counts: null,
  null_value_counts: null,
  nan_value_counts: null,
  distinct_counts: null,
  lower_bounds: null,
  upper_bounds: null,
  record_count: 1n,
  key_metadata: null,
  split_offsets: null,
  equality_ids: null,
  sort_order_id: null,
  first_row_id: null,
  referenced_data_file: null,
  content_offset: null,
  content_size_in_bytes: null,
  ...over,
});

const javaEntries = [
  {
    // ADDED with snapshot id and sequence numbers left to inheritance.
    status: 1,
    snapshot_id: null,
    sequence_number: null,
    file_sequence_number: null,
    data_file: dataFile({
      file_path: '/warehouse/t/data/category=books/a.parquet',
      partition: {
        category: 'books',
        event_day: 19723,
        id_bucket: 7,
        amount: Buffer.from([0xff, 0xff, 0xff, 0xfa, 0x74]), // -1420
        uid: 'F79C3E09-677C-4BBD-A479-3F349CB785E7',
        ts_hour: null,
      },
      file_size_in_bytes: 123456789012n,
      column_sizes: kv({ 1: 10n, 2: 20n }),
      value_counts: kv({ 1: 100n, 2: 100n }),
      null_value_counts: kv({ 1: 0n, 2: 4n }),
      nan_value_counts: kv({}),
      distinct_counts: kv({ 1: 100n }),
      lower_bounds: kv({ 1: Buffer.from('0100000000000000', 'hex'), 2: Buffer.from('aa', 'utf8') }),
      upper_bounds: kv({ 1: Buffer.from('6400000000000000', 'hex'), 2: Buffer.from('zz', 'utf8') }),
      record_count: 100n,
      key_metadata: Buffer.from('secret-key'),
      split_offsets: [4n, 65536n],
      sort_order_id: 1,
      first_row_id: 1000n,
    }),
  },
  {
    // EXISTING with explicit ids and sequence numbers from an older commit.
    status: 0,
    snapshot_id: BIG_SNAPSHOT,
    sequence_number: 3n,
    file_sequence_number: 4n,
    data_file: dataFile({
      file_path: '/warehouse/t/data/b.parquet',
      partition: { category: 'toys', event_day: -1, id_bucket: 0, amount: Buffer.from([0, 0, 0, 0, 1]), uid: null, ts_hour: 474000 },
    }),
  },
  {
    // An equality delete file, to check content and equality_ids.
    status: 2,
    snapshot_id: 5n,
    sequence_number: 2n,
    file_sequence_number: 2n,
    data_file: dataFile({
      content: 2,
      file_path: '/warehouse/t/data/eq-del.parquet',
      equality_ids: [1, 2],
      record_count: 7n,
    }),
  },
];

const expectedEntry = (status, snapshot, seq, fileSeq, d) => ({
  status,
  snapshot_id: snapshot,
  sequence_number: seq,
  file_sequence_number: fileSeq,
  data_file: d,
});
const emptyMaps = {
  column_sizes: {}, value_counts: {}, null_value_counts: {}, nan_value_counts: {},
  lower_bounds: {}, upper_bounds: {},
};
const expectedJava = [
  expectedEntry(1, '42', '9', '9', {
    content: 0,
    file_path: '/warehouse/t/data/category=books/a.parquet',
    file_format: 'PARQUET',
    partition: ['books', 19723, 7, '-1420', 'f79c3e09677c4bbda4793f349cb785e7', null],
    record_count: '100',
    file_size_in_bytes: '123456789012',
    column_sizes: { 1: '10', 2: '20' },
    value_counts: { 1: '100', 2: '100' },
    null_value_counts: { 1: '0', 2: '4' },
    nan_value_counts: {},
    lower_bounds: { 1: '0100000000000000', 2: hex('aa') },
    upper_bounds: { 1: '6400000000000000', 2: hex('zz') },
    split_offsets: ['4', '65536'],
    equality_ids: [],
    sort_order_id: 1,
    referenced_data_file: null,
  }),
  expectedEntry(0, BIG_SNAPSHOT.toString(), '3', '4', {
    content: 0,
    file_path: '/warehouse/t/data/b.parquet',
    file_format: 'PARQUET',
    partition: ['toys', -1, 0, '1', null, 474000],
    record_count: '1',
    file_size_in_bytes: '4096',
    ...emptyMaps,
    split_offsets: [],
    equality_ids: [],
    sort_order_id: null,
    referenced_data_file: null,
  }),
  expectedEntry(2, '5', '2', '2', {
    content: 2,
    file_path: '/warehouse/t/data/eq-del.parquet',
    file_format: 'PARQUET',
    partition: [null, null, null, null, null, null],
    record_count: '7',
    file_size_in_bytes: '4096',
    ...emptyMaps,
    split_offsets: [],
    equality_ids: [1, 2],
    sort_order_id: null,
    referenced_data_file: null,
  }),
];

// A v1 manifest (Java 0.x / PyIceberg format-version 1): no sequence numbers,
// no content, required snapshot_id and block_size_in_bytes.
const v1Entry = manifestEntryRecord(1, dataFileRecord({ type: 'record', name: 'r102', fields: [] },
  'file_path file_format partition record_count file_size_in_bytes block_size_in_bytes column_sizes?'));

const specJson = JSON.stringify(partitionType.fields.map((f, i) => ({
  name: f.name, transform: 'identity', 'source-id': i + 1, 'field-id': f['field-id'],
})));

function partitionValues(entry) {
  return { ...entry, data_file: { ...entry.data_file, partition: entry.data_file.partition.map((p) => p.value) } };
}

try {
  // ---- Java v2 manifest
  const javaPath = path.join(dir, 'java.avro');
  await encodeFile(javaPath, javaV2Entry, javaEntries, {
    schema: '{"type":"struct","schema-id":7,"fields":[]}',
    'partition-spec': specJson,
    'partition-spec-id': '3',
    'format-version': '2',
    content: 'data',
    'iceberg.schema': '{"type":"struct","schema-id":7,"fields":[]}',
  });
  const java = runTool(tool, ['read-manifest', javaPath, '9', '42']);
  assert.equal(java.context.schema_id, 7); // no schema-id key: taken from the schema JSON
  assert.equal(java.context.partition_spec_id, 3);
  assert.equal(java.context.content, 0);
  assert.deepEqual(java.context.partition_fields, [
    { field_id: 1000, name: 'category', type: 'string' },
    { field_id: 1001, name: 'event_day', type: 'date' },
    { field_id: 1002, name: 'id_bucket', type: 'int' },
    { field_id: 1003, name: 'amount', type: 'decimal(10, 2)' },
    { field_id: 1004, name: 'uid', type: 'uuid' },
    { field_id: 1005, name: 'ts_hour', type: 'int' },
  ]);
  assert.deepEqual(java.entries.map(partitionValues), expectedJava);

  // ---- v1 manifest: everything reads as sequence number 0
  const v1Path = path.join(dir, 'v1.avro');
  await encodeFile(v1Path, v1Entry, [
    { status: 1, snapshot_id: 17n, data_file: { file_path: '/t/v1.parquet', file_format: 'parquet', partition: {}, record_count: 5n, file_size_in_bytes: 50n, block_size_in_bytes: 67108864n, column_sizes: kv({ 1: 8n }) } },
    { status: 0, snapshot_id: 16n, data_file: { file_path: '/t/v0.parquet', file_format: 'PARQUET', partition: {}, record_count: 6n, file_size_in_bytes: 60n, block_size_in_bytes: 67108864n, column_sizes: null } },
  ], { schema: '{"type":"struct","schema-id":0,"fields":[]}', 'partition-spec': '[]', 'partition-spec-id': '0', 'format-version': '1' });
  const v1 = runTool(tool, ['read-manifest', v1Path, '0', '17']);
  assert.deepEqual(v1.context.partition_fields, []);
  assert.deepEqual(v1.entries.map((e) => [e.status, e.snapshot_id, e.sequence_number, e.file_sequence_number, e.data_file.content, e.data_file.file_path, e.data_file.file_format, e.data_file.record_count, e.data_file.column_sizes]), [
    [1, '17', '0', '0', 0, '/t/v1.parquet', 'parquet', '5', { 1: '8' }],
    [0, '16', '0', '0', 0, '/t/v0.parquet', 'PARQUET', '6', {}],
  ]);

  // ---- Java v2 manifest list with a v3 field datashard does not know
  const listSchema = {
    ...manifestListSchemaV2,
    fields: [...manifestListSchemaV2.fields, opt('first_row_id', 'long', 520)],
  };

  const listPath = path.join(dir, 'snap-1.avro');
  await encodeFile(listPath, listSchema, [
    {
      manifest_path: javaPath, manifest_length: BigInt(fs.statSync(javaPath).size), partition_spec_id: 3,
      content: 0, sequence_number: 9n, min_sequence_number: 2n, added_snapshot_id: BIG_SNAPSHOT,
      added_files_count: 1, existing_files_count: 1, deleted_files_count: 1,
      added_rows_count: 100n, existing_rows_count: 1n, deleted_rows_count: 7n,
      partitions: [
        { contains_null: false, contains_nan: false, lower_bound: Buffer.from('books'), upper_bound: Buffer.from('toys') },
        { contains_null: true, contains_nan: null, lower_bound: null, upper_bound: null },
      ],
      key_metadata: Buffer.from('k'), first_row_id: 0n,
    },
    {
      manifest_path: '/t/metadata/d-m1.avro', manifest_length: 10n, partition_spec_id: 0,
      content: 1, sequence_number: 10n, min_sequence_number: 10n, added_snapshot_id: 3n,
      added_files_count: 0, existing_files_count: 0, deleted_files_count: 0,
      added_rows_count: 0n, existing_rows_count: 0n, deleted_rows_count: 0n,
      partitions: null, key_metadata: null, first_row_id: null,
    },
  ], { 'snapshot-id': '1', 'parent-snapshot-id': 'null', 'sequence-number': '10', 'format-version': '2' });
  const list = runTool(tool, ['read-list', listPath]);
  assert.deepEqual(list, [
    {
      manifest_path: javaPath, manifest_length: String(fs.statSync(javaPath).size), partition_spec_id: 3,
      content: 0, sequence_number: '9', min_sequence_number: '2', added_snapshot_id: BIG_SNAPSHOT.toString(),
      added_files_count: 1, existing_files_count: 1, deleted_files_count: 1,
      added_rows_count: '100', existing_rows_count: '1', deleted_rows_count: '7',
      partitions: [
        { contains_null: false, contains_nan: false, lower_bound: hex('books'), upper_bound: hex('toys') },
        { contains_null: true, contains_nan: null, lower_bound: null, upper_bound: null },
      ],
    },
    {
      manifest_path: '/t/metadata/d-m1.avro', manifest_length: '10', partition_spec_id: 0,
      content: 1, sequence_number: '10', min_sequence_number: '10', added_snapshot_id: '3',
      added_files_count: 0, existing_files_count: 0, deleted_files_count: 0,
      added_rows_count: '0', existing_rows_count: '0', deleted_rows_count: '0', partitions: [],
    },
  ]);

  // ---- v1 manifest list: old count names, no content or sequence numbers,
  // and no field ids at all (names are the fallback).
  const v1ListPath = path.join(dir, 'snap-v1.avro');
  await encodeFile(v1ListPath, {
    type: 'record',
    name: 'manifest_file',
    fields: [
      { name: 'manifest_path', type: 'string' },
      { name: 'manifest_length', type: 'long' },
      { name: 'partition_spec_id', type: 'int' },
      { name: 'added_snapshot_id', type: ['null', 'long'], default: null },
      { name: 'added_data_files_count', type: ['null', 'int'], default: null },
      { name: 'existing_data_files_count', type: ['null', 'int'], default: null },
      { name: 'deleted_data_files_count', type: ['null', 'int'], default: null },
      { name: 'partitions', type: ['null', { type: 'array', items: { type: 'record', name: 'field_summary', fields: [{ name: 'contains_null', type: 'boolean' }, { name: 'lower_bound', type: ['null', 'bytes'], default: null }, { name: 'upper_bound', type: ['null', 'bytes'], default: null }] } }], default: null },
      { name: 'added_rows_count', type: ['null', 'long'], default: null },
    ],
  }, [
    { manifest_path: v1Path, manifest_length: 99n, partition_spec_id: 0, added_snapshot_id: 17n, added_data_files_count: 1, existing_data_files_count: 1, deleted_data_files_count: null, partitions: [{ contains_null: true, lower_bound: null, upper_bound: Buffer.from([1]) }], added_rows_count: 5n },
  ], { 'snapshot-id': '17', 'format-version': '1' });
  assert.deepEqual(runTool(tool, ['read-list', v1ListPath]), [{
    manifest_path: v1Path, manifest_length: '99', partition_spec_id: 0, content: 0,
    sequence_number: '0', min_sequence_number: '0', added_snapshot_id: '17',
    added_files_count: 1, existing_files_count: 1, deleted_files_count: 0,
    added_rows_count: '5', existing_rows_count: '0', deleted_rows_count: '0',
    partitions: [{ contains_null: true, contains_nan: null, lower_bound: null, upper_bound: '01' }],
  }]);
  console.log('datashard read the Java- and v1-shaped manifests and manifest lists avsc wrote');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
