// Avro schemas of manifests and manifest lists exactly as Iceberg's Java
// library writes them (v2 and v1), with the spec's field ids, for oracles that
// build tables without datashard code (Iceberg spec: Manifests, Manifest Lists).

export const opt = (name, type, id) => ({ name, type: ['null', type], default: null, 'field-id': id })
export const req = (name, type, id) => ({ name, type, 'field-id': id })
export const intMap = (k, v, valueType) => ({
  type: 'array',
  logicalType: 'map',
  items: { type: 'record', name: `k${k}_v${v}`, fields: [req('key', 'int', k), req('value', valueType, v)] },
})

// Java's v2 manifest entry; `partition` is the r102 record of the
// manifest's partition spec.
export function manifestEntrySchemaV2(partition) {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('status', 'int', 0),
      opt('snapshot_id', 'long', 1),
      opt('sequence_number', 'long', 3),
      opt('file_sequence_number', 'long', 4),
      req('data_file', {
        type: 'record',
        name: 'r2',
        fields: [
          req('content', 'int', 134),
          req('file_path', 'string', 100),
          req('file_format', 'string', 101),
          req('partition', partition, 102),
          req('record_count', 'long', 103),
          req('file_size_in_bytes', 'long', 104),
          opt('column_sizes', intMap(117, 118, 'long'), 108),
          opt('value_counts', intMap(119, 120, 'long'), 109),
          opt('null_value_counts', intMap(121, 122, 'long'), 110),
          opt('nan_value_counts', intMap(138, 139, 'long'), 137),
          opt('lower_bounds', intMap(126, 127, 'bytes'), 125),
          opt('upper_bounds', intMap(129, 130, 'bytes'), 128),
          opt('key_metadata', 'bytes', 131),
          opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132),
          opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135),
          opt('sort_order_id', 'int', 140),
          opt('referenced_data_file', 'string', 143),
        ],
      }, 2),
    ],
  }
}

// Java's v1 manifest entry: required snapshot id, no sequence numbers or
// content.
export function manifestEntrySchemaV1(partition) {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('status', 'int', 0),
      req('snapshot_id', 'long', 1),
      req('data_file', {
        type: 'record',
        name: 'r2',
        fields: [
          req('file_path', 'string', 100),
          req('file_format', 'string', 101),
          req('partition', partition, 102),
          req('record_count', 'long', 103),
          req('file_size_in_bytes', 'long', 104),
          req('block_size_in_bytes', 'long', 105),
          opt('column_sizes', intMap(117, 118, 'long'), 108),
          opt('value_counts', intMap(119, 120, 'long'), 109),
          opt('null_value_counts', intMap(121, 122, 'long'), 110),
          opt('nan_value_counts', intMap(138, 139, 'long'), 137),
          opt('lower_bounds', intMap(126, 127, 'bytes'), 125),
          opt('upper_bounds', intMap(129, 130, 'bytes'), 128),
          opt('key_metadata', 'bytes', 131),
          opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132),
          opt('sort_order_id', 'int', 140),
        ],
      }, 2),
    ],
  }
}

export const fieldSummary = {
  type: 'record',
  name: 'r508',
  fields: [
    req('contains_null', 'boolean', 509),
    opt('contains_nan', 'boolean', 518),
    opt('lower_bound', 'bytes', 510),
    opt('upper_bound', 'bytes', 511),
  ],
}

export const manifestListSchemaV2 = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('manifest_path', 'string', 500),
    req('manifest_length', 'long', 501),
    req('partition_spec_id', 'int', 502),
    req('content', 'int', 517),
    req('sequence_number', 'long', 515),
    req('min_sequence_number', 'long', 516),
    req('added_snapshot_id', 'long', 503),
    req('added_files_count', 'int', 504),
    req('existing_files_count', 'int', 505),
    req('deleted_files_count', 'int', 506),
    req('added_rows_count', 'long', 512),
    req('existing_rows_count', 'long', 513),
    req('deleted_rows_count', 'long', 514),
    opt('partitions', { type: 'array', items: fieldSummary, 'element-id': 508 }, 507),
    opt('key_metadata', 'bytes', 519),
  ],
}

// Java's v1 manifest list: old count names, optional counts, no sequence numbers.
export const manifestListSchemaV1 = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('manifest_path', 'string', 500),
    req('manifest_length', 'long', 501),
    req('partition_spec_id', 'int', 502),
    req('added_snapshot_id', 'long', 503),
    opt('added_data_files_count', 'int', 504),
    opt('existing_data_files_count', 'int', 505),
    opt('deleted_data_files_count', 'int', 506),
    opt('partitions', { type: 'array', items: fieldSummary, 'element-id': 508 }, 507),
    opt('added_rows_count', 'long', 512),
    opt('existing_rows_count', 'long', 513),
    opt('deleted_rows_count', 'long', 514),
  ],
}
