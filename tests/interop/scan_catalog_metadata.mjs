// Oracle for tables a catalog wrote (issue 5): metadata files named
// <NNNNN>-<uuid>.metadata.json (one gzip-compressed as .gz.metadata.json),
// no v<N>.metadata.json and no version hint, as PyIceberg's SqlCatalog and
// Java's JDBC/REST catalogs leave them. Built without datashard code: Parquet
// by DuckDB with field ids, manifests and manifest lists by avsc in the
// shapes Java writes, metadata JSON by hand. `datashard scan/count` on each
// metadata file must return the rows this script wrote and the rows icebird's
// icebergRead({tableUrl, metadataFileName}) returns; `append` to a metadata
// file must fail with exit code 1 and leave every file as it was.
// Usage: node scan_catalog_metadata.mjs <datashard-cli>
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { icebergRead } from 'icebird'

import { scriptArgs } from './args.mjs'
import { encodeFile } from './avro_common.mjs'
import { serveLocalFiles } from './local_fetch.mjs'
import { manifestEntrySchemaV2, manifestListSchemaV2 } from './iceberg_avro_schemas.mjs'
import { openDuckDB, sqlString } from './parquet_common.mjs'
import { parseJsonl, sameRows } from './table_rows.mjs'

const [cli] = scriptArgs(['DATASHARD_CLI'], { fromEnv: true })

serveLocalFiles()

let failures = 0
function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) {
    failures++
    if (detail) console.log(`     ${detail}`)
  }
}

function ds(args) {
  return spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 28 })
}

// Rows as sorted texts; ids exact (64-bit) whoever produced them.
function canonRows(rows) {
  return rows.map(r => JSON.stringify([BigInt(r.id).toString(), r.name ?? null])).sort()
}

// Every file under `dir` with a digest of its bytes.
function digests(dir, out = {}) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) digests(p, out)
    else out[p] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
  }
  return out
}

// Java's v2 shapes; the table is unpartitioned.
const manifestEntrySchema = manifestEntrySchemaV2({ type: 'record', name: 'r102', fields: [] })
const manifestListSchema = manifestListSchemaV2

// ------------------------------------------------------------ the table
const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: false, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-metadata-'))
const dir = path.join(root, 'db', 'events')
const metaDir = path.join(dir, 'metadata')
fs.mkdirSync(metaDir, { recursive: true })
fs.mkdirSync(path.join(dir, 'data'))

const duck = await openDuckDB(root)

async function dataFile(rows) {
  const file = path.join(dir, 'data', `00000-0-${crypto.randomUUID()}.parquet`)
  const text = v => (v === null ? 'NULL::VARCHAR' : sqlString(v))
  const values = rows.map(r => `(${r.id}::BIGINT, ${text(r.name)})`).join(', ')
  await duck.run(`COPY (SELECT * FROM (VALUES ${values}) AS t(id, name)) TO '${file}' ` +
    '(FORMAT parquet, COMPRESSION zstd, FIELD_IDS {id: 1, name: 2})')
  return { file, rows, size: fs.statSync(file).size }
}

// One manifest of one added data file, written for snapshot `snapshotId`.
async function manifest(snapshotId, df) {
  const file = path.join(metaDir, `${crypto.randomUUID()}-m0.avro`)
  await encodeFile(file, manifestEntrySchema, [{
    status: 1,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0, file_path: df.file, file_format: 'PARQUET', partition: {},
      record_count: BigInt(df.rows.length), file_size_in_bytes: BigInt(df.size),
      column_sizes: null, value_counts: null, null_value_counts: null, nan_value_counts: null,
      lower_bounds: null, upper_bounds: null, key_metadata: null, split_offsets: null,
      equality_ids: null, sort_order_id: 0,
    },
  }], {
    schema: JSON.stringify(schema), 'schema-id': '0', 'partition-spec': '[]',
    'partition-spec-id': '0', 'format-version': '2', content: 'data',
  })
  return { file, snapshotId, seq: 0n, rows: BigInt(df.rows.length), length: fs.statSync(file).size }
}

async function manifestList(snapshotId, parentId, seq, manifests) {
  const file = path.join(metaDir, `snap-${snapshotId}-0-${crypto.randomUUID()}.avro`)
  await encodeFile(file, manifestListSchema, manifests.map(m => ({
    manifest_path: m.file, manifest_length: BigInt(m.length), partition_spec_id: 0, content: 0,
    sequence_number: m.seq, min_sequence_number: m.seq, added_snapshot_id: m.snapshotId,
    added_files_count: m.snapshotId === snapshotId ? 1 : 0,
    existing_files_count: m.snapshotId === snapshotId ? 0 : 1, deleted_files_count: 0,
    added_rows_count: m.snapshotId === snapshotId ? m.rows : 0n,
    existing_rows_count: m.snapshotId === snapshotId ? 0n : m.rows, deleted_rows_count: 0n,
    partitions: [], key_metadata: null,
  })), {
    'snapshot-id': String(snapshotId), 'parent-snapshot-id': parentId ? String(parentId) : 'null',
    'sequence-number': String(seq), 'format-version': '2',
  })
  return file
}

// Snapshot ids stay below 2^53: icebird parses metadata with JSON.parse.
const snapshotIds = [4503599627370497n, 4503599627370517n]
const tableUuid = crypto.randomUUID()
const snapshots = []
const metadataLog = []
const files = []

function writeMetadata(sequence, { gzip = false } = {}) {
  const cur = snapshots.at(-1)
  const j = {
    'format-version': 2,
    'table-uuid': tableUuid,
    location: dir,
    'last-sequence-number': Number(cur.seq),
    'last-updated-ms': cur.timestampMs,
    'last-column-id': 2,
    'current-schema-id': 0,
    schemas: [schema],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { 'write.parquet.compression-codec': 'zstd' },
    'current-snapshot-id': Number(cur.id),
    refs: { main: { 'snapshot-id': Number(cur.id), type: 'branch' } },
    snapshots: snapshots.map(s => ({
      'snapshot-id': Number(s.id),
      ...(s.parent ? { 'parent-snapshot-id': Number(s.parent) } : {}),
      'sequence-number': Number(s.seq),
      'timestamp-ms': s.timestampMs,
      'manifest-list': s.list,
      summary: { operation: 'append', 'added-records': String(s.added), 'total-records': String(s.total) },
      'schema-id': 0,
    })),
    'snapshot-log': snapshots.map(s => ({ 'timestamp-ms': s.timestampMs, 'snapshot-id': Number(s.id) })),
    'metadata-log': metadataLog.slice(),
  }
  const name = `${String(sequence).padStart(5, '0')}-${crypto.randomUUID()}${gzip ? '.gz' : ''}.metadata.json`
  const text = JSON.stringify(j, null, 2)
  fs.writeFileSync(path.join(metaDir, name), gzip ? zlib.gzipSync(text) : text)
  metadataLog.push({ 'timestamp-ms': cur.timestampMs, 'metadata-file': path.join(metaDir, name) })
  return name
}

const batches = [
  [{ id: 1n, name: 'alpha' }, { id: 2n, name: null }, { id: 9007199254740993n, name: 'big' }],
  [{ id: 4n, name: 'delta' }, { id: -5n, name: "o'neil" }],
]
const manifests = []
let total = 0
for (let i = 0; i < batches.length; i++) {
  const id = snapshotIds[i]
  const df = await dataFile(batches[i])
  const m = await manifest(id, df)
  m.seq = BigInt(i + 1)
  manifests.push(m)
  total += batches[i].length
  const list = await manifestList(id, snapshots.at(-1)?.id, BigInt(i + 1), manifests)
  snapshots.push({ id, parent: snapshots.at(-1)?.id, seq: BigInt(i + 1), timestampMs: 1700000000000 + i * 60000, list, added: batches[i].length, total })
  files.push({ name: writeMetadata(i), rows: batches.slice(0, i + 1).flat() })
}
// The newest version gzip-compressed, as PyIceberg writes with
// write.metadata.compression-codec=gzip (icebird reads plain JSON only).
const gzName = writeMetadata(2, { gzip: true })

// ------------------------------------------------------------ checks
const before = digests(root)
for (const [i, f] of files.entries()) {
  const file = path.join(metaDir, f.name)
  const want = canonRows(f.rows)
  const scan = ds(['scan', file])
  check(scan.status === 0, `datashard scan ${f.name} exits 0`, scan.stderr)
  check(sameRows(canonRows(parseJsonl(scan.stdout)), want) === null, `datashard scan ${f.name} = written rows`,
    sameRows(canonRows(parseJsonl(scan.stdout)), want))
  const ice = await icebergRead({ tableUrl: dir, metadataFileName: f.name })
  check(sameRows(canonRows(ice), want) === null, `icebird reads ${f.name} = written rows`, sameRows(canonRows(ice), want))
  const count = ds(['count', file])
  check(count.stdout === `${want.length}\n`, `datashard count ${f.name} = ${want.length}`, count.stdout + count.stderr)
  const history = ds(['history', file, '--json'])
  const ids = history.status === 0 ? parseJsonl(history.stdout)[0].map(s => String(s.snapshot_id)) : []
  check(JSON.stringify(ids) === JSON.stringify(snapshotIds.slice(0, i + 1).map(String)),
    `datashard history ${f.name} lists its ${i + 1} snapshot(s)`, history.stdout + history.stderr)
}
// Time travel inside the newest file equals icebird reading the older file.
const newest = path.join(metaDir, files[1].name)
const travel = ds(['scan', newest, '--snapshot', String(snapshotIds[0])])
const iceOld = await icebergRead({ tableUrl: dir, metadataFileName: files[0].name })
check(sameRows(canonRows(parseJsonl(travel.stdout)), canonRows(iceOld)) === null,
  'datashard scan --snapshot <first> of the newest file = icebird on the first file',
  travel.stderr + sameRows(canonRows(parseJsonl(travel.stdout)), canonRows(iceOld)))
const gz = ds(['scan', path.join(metaDir, gzName)])
const iceNew = await icebergRead({ tableUrl: dir, metadataFileName: files[1].name })
check(gz.status === 0 && sameRows(canonRows(parseJsonl(gz.stdout)), canonRows(iceNew)) === null,
  `datashard scan ${gzName} (gzip) = icebird on the same metadata uncompressed`, gz.stderr)
// The folder: no v<N>, so the highest sequence number (the gzip file) is read.
const folder = ds(['count', dir])
check(folder.stdout === `${total}\n`, `datashard count on the folder = ${total}`, folder.stdout + folder.stderr)

const rows = path.join(root, 'rows.jsonl')
fs.writeFileSync(rows, '{"id":7,"name":"x"}\n')
const append = ds(['append', newest, rows])
check(append.status === 1, 'datashard append to a metadata file exits 1', `exit ${append.status}`)
check(append.stderr.includes('NotSupported') && append.stderr.includes(newest),
  'the refusal is NotSupported naming the metadata file', append.stderr)
const after = digests(root)
delete after[rows]
check(JSON.stringify(after) === JSON.stringify(before), 'every file is byte-identical after reads and the refused append')

fs.rmSync(root, { recursive: true, force: true })
if (failures) {
  console.log(`${failures} check(s) failed`)
  process.exit(1)
}
console.log('all checks passed')
