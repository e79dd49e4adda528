// What the Avro interop tests share about avro_interop_tool: running it, and
// checking the manifest entries and manifest_file rows a reader (avsc or
// icebird) decoded from the files its `write` command wrote against the JSON
// it printed about them. A null Avro value may decode as null (avsc) or
// undefined (icebird); both read as null here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { hex } from './avro_common.mjs';

/** Runs the tool with `args` and parses the JSON it prints. */
export function runTool(tool, args) {
  return JSON.parse(execFileSync(tool, args, { encoding: 'utf8' }));
}

const text = (v) => (v === null || v === undefined ? null : v.toString());

/** An int-keyed Avro map (a [{key, value}] array) as { key: f(value) }. */
export function intMapOf(list, f = text) {
  const out = {};
  for (const { key, value } of list ?? []) out[String(key)] = f(value);
  return out;
}

/**
 * Checks what every reader decodes of manifest entry `i` against `want`, its
 * entry in the tool's report: all but the partition tuple and the fields
 * only some readers know.
 */
export function checkEntry(got, want, i) {
  assert.equal(got.status, want.status, `entry ${i} status`);
  // ADDED entries without a snapshot id of their own carry a null one and
  // null sequence numbers (all inherited from the manifest list, so that a
  // group publication can list the manifest under its snapshot); others
  // carry theirs explicitly.
  const added = want.status === 1;
  assert.equal(text(got.snapshot_id), want.snapshot_id ?? null);
  assert.equal(text(got.sequence_number), added ? null : want.sequence_number);
  assert.equal(text(got.file_sequence_number), added ? null : want.file_sequence_number);
  const d = got.data_file;
  const w = want.data_file;
  assert.equal(d.content, w.content);
  assert.equal(d.file_path, w.file_path);
  assert.equal(d.file_format, w.file_format);
  assert.equal(text(d.record_count), w.record_count);
  assert.equal(text(d.file_size_in_bytes), w.file_size_in_bytes);
  for (const k of ['column_sizes', 'value_counts', 'null_value_counts', 'nan_value_counts']) {
    assert.deepEqual(intMapOf(d[k]), w[k], `entry ${i} ${k}`);
  }
  assert.deepEqual(intMapOf(d.lower_bounds, hex), w.lower_bounds, `entry ${i} lower_bounds`);
  assert.deepEqual(intMapOf(d.upper_bounds, hex), w.upper_bounds, `entry ${i} upper_bounds`);
  assert.deepEqual((d.split_offsets ?? []).map(String), w.split_offsets);
  assert.equal(d.sort_order_id ?? null, w.sort_order_id);
}

/** Checks a decoded manifest_file row against its row in the tool's report. */
export function checkManifestFile(got, want) {
  for (const k of Object.keys(want)) {
    if (k === 'partitions') continue;
    assert.equal(String(got[k]), String(want[k]), `manifest_file.${k}`);
  }
  assert.deepEqual(
    got.partitions.map((p) => ({
      contains_null: p.contains_null,
      contains_nan: p.contains_nan ?? null,
      lower_bound: hex(p.lower_bound ?? null),
      upper_bound: hex(p.upper_bound ?? null),
    })),
    want.partitions,
  );
}
