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

// A record `name` whose fields are `names` (separated by spaces, in that
// order) taken from `fields` (name -> [Avro type, field id]); a name ending in
// '?' is optional: ["null", type] with default null.
export function record(name, fields, names) {
  return {
    type: 'record',
    name,
    fields: names.trim().split(/\s+/).map((n) => {
      const optional = n.endsWith('?')
      const key = optional ? n.slice(0, -1) : n
      if (!(key in fields)) throw new Error(`${name} has no field ${key}`)
      return (optional ? opt : req)(key, ...fields[key])
    }),
  }
}

// Every data_file field the spec defines, v1 to v3; `partition` is the r102
// record of the manifest's partition spec.
const dataFileFields = (partition) => ({
  content: ['int', 134],
  file_path: ['string', 100],
  file_format: ['string', 101],
  partition: [partition, 102],
  record_count: ['long', 103],
  file_size_in_bytes: ['long', 104],
  block_size_in_bytes: ['long', 105],
  column_sizes: [intMap(117, 118, 'long'), 108],
  value_counts: [intMap(119, 120, 'long'), 109],
  null_value_counts: [intMap(121, 122, 'long'), 110],
  nan_value_counts: [intMap(138, 139, 'long'), 137],
  distinct_counts: [intMap(123, 124, 'long'), 111],
  lower_bounds: [intMap(126, 127, 'bytes'), 125],
  upper_bounds: [intMap(129, 130, 'bytes'), 128],
  key_metadata: ['bytes', 131],
  split_offsets: [{ type: 'array', items: 'long', 'element-id': 133 }, 132],
  equality_ids: [{ type: 'array', items: 'int', 'element-id': 136 }, 135],
  sort_order_id: ['int', 140],
  first_row_id: ['long', 142],
  referenced_data_file: ['string', 143],
  content_offset: ['long', 144],
  content_size_in_bytes: ['long', 145],
})

// The r2 data_file record with the fields `names` (as for record()).
export function dataFileRecord(partition, names) {
  return record('r2', dataFileFields(partition), names)
}

// A manifest_entry record around `dataFile`: v2's optional snapshot id and
// sequence numbers, or v1's required snapshot id and no sequence numbers.
export function manifestEntryRecord(formatVersion, dataFile) {
  const fields = {
    status: ['int', 0],
    snapshot_id: ['long', 1],
    sequence_number: ['long', 3],
    file_sequence_number: ['long', 4],
    data_file: [dataFile, 2],
  }
  return record('manifest_entry', fields, formatVersion === 1
    ? 'status snapshot_id data_file'
    : 'status snapshot_id? sequence_number? file_sequence_number? data_file')
}

// Java's v2 manifest entry; `partition` is the r102 record of the
// manifest's partition spec.
export function manifestEntrySchemaV2(partition) {
  return manifestEntryRecord(2, dataFileRecord(partition, `content file_path file_format partition
    record_count file_size_in_bytes column_sizes? value_counts? null_value_counts? nan_value_counts?
    lower_bounds? upper_bounds? key_metadata? split_offsets? equality_ids? sort_order_id?
    referenced_data_file?`))
}

// Java's v1 manifest entry: required snapshot id, no sequence numbers or
// content.
export function manifestEntrySchemaV1(partition) {
  return manifestEntryRecord(1, dataFileRecord(partition, `file_path file_format partition
    record_count file_size_in_bytes block_size_in_bytes column_sizes? value_counts? null_value_counts?
    nan_value_counts? lower_bounds? upper_bounds? key_metadata? split_offsets? sort_order_id?`))
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

// Every manifest_file field of v1 and v2 (v1 names the file counts
// added_data_files_count and so on, with the same ids).
const manifestFileFields = {
  manifest_path: ['string', 500],
  manifest_length: ['long', 501],
  partition_spec_id: ['int', 502],
  content: ['int', 517],
  sequence_number: ['long', 515],
  min_sequence_number: ['long', 516],
  added_snapshot_id: ['long', 503],
  added_files_count: ['int', 504],
  existing_files_count: ['int', 505],
  deleted_files_count: ['int', 506],
  added_data_files_count: ['int', 504],
  existing_data_files_count: ['int', 505],
  deleted_data_files_count: ['int', 506],
  added_rows_count: ['long', 512],
  existing_rows_count: ['long', 513],
  deleted_rows_count: ['long', 514],
  partitions: [{ type: 'array', items: fieldSummary, 'element-id': 508 }, 507],
  key_metadata: ['bytes', 519],
}

export const manifestListSchemaV2 = record('manifest_file', manifestFileFields, `manifest_path
  manifest_length partition_spec_id content sequence_number min_sequence_number added_snapshot_id
  added_files_count existing_files_count deleted_files_count added_rows_count existing_rows_count
  deleted_rows_count partitions? key_metadata?`)

// Java's v1 manifest list: old count names, optional counts, no sequence numbers.
export const manifestListSchemaV1 = record('manifest_file', manifestFileFields, `manifest_path
  manifest_length partition_spec_id added_snapshot_id added_data_files_count?
  existing_data_files_count? deleted_data_files_count? partitions? added_rows_count?
  existing_rows_count? deleted_rows_count?`)
