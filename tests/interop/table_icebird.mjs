// Interop oracle for datashard tables (DESIGN.md §3, §9): tables written by
// the datashard CLI, partitioned and not, with several snapshots, are read by
// icebird (an independent Iceberg reader) with identical rows, for every
// snapshot (time travel by metadata file); their manifests and manifest lists
// decode with avsc against the spec's field names; DuckDB reads every data
// file. Usage: node table_icebird.mjs <datashard-cli>
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import avro from 'avsc'
import { icebergRead } from 'icebird'
import { scriptArgs } from './args.mjs'
import { checks } from './checks.mjs'
import { typeOf } from './avro_common.mjs'
import { serveLocalFiles } from './local_fetch.mjs'
import { openDuckDB } from './parquet_common.mjs'

const [cli] = scriptArgs(['DATASHARD_CLI'], { fromEnv: true })

serveLocalFiles()

const { check, finish } = checks('interop')

function ds(...args) {
  return execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 28 })
}

// Values as datashard's JSON Lines print them.
// Values compared as text: 64-bit ints exactly, numbers by their JS form.
function normalize(v) {
  if (v === undefined || v === null) return null
  if (typeof v === 'bigint' || typeof v === 'number') return String(v)
  if (v instanceof Date) return v.toISOString().slice(0, 10)
  return v
}

function canonicalRows(rows, columns) {
  return rows
    .map(r => JSON.stringify(columns.map(c => normalize(r[c]))))
    .sort()
}

function parseJsonl(text) {
  // Keep 64-bit integers exact: quote long-looking numbers before parsing.
  return text.split('\n').filter(l => l.trim() !== '')
    .map(l => JSON.parse(l.replace(/:(-?\d{16,})/g, ':"$1"')))
}

const schema = JSON.stringify([
  { id: 1, name: 'id', type: 'long', required: true },
  { id: 2, name: 'name', type: 'string', required: false },
  { id: 3, name: 'amount', type: 'double', required: false },
  { id: 4, name: 'day', type: 'date', required: false },
  { id: 5, name: 'flag', type: 'boolean', required: false },
  { id: 6, name: 'n', type: 'int', required: false },
])
const columns = ['id', 'name', 'amount', 'day', 'flag', 'n']

function batch(first, count) {
  const lines = []
  for (let i = first; i < first + count; i++) {
    lines.push(JSON.stringify({
      id: i,
      name: i % 7 === 0 ? null : `name-${i}`,
      amount: i * 1.5,
      day: `2024-0${1 + (i % 3)}-1${i % 10}`,
      flag: i % 2 === 0,
      n: i % 5 === 0 ? null : i * 3,
    }))
  }
  return lines.join('\n') + '\n'
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-interop-'))
const conn = await openDuckDB()
try {
  const tables = [
    ['plain', null, []],
    ['partitioned', 'month(day), bucket(4,id)', []],
    // Merged manifests carry earlier entries as EXISTING with explicit sequence numbers.
    ['merged', 'month(day)', ['--property', 'commit.manifest.min-count-to-merge=2']],
  ]
  for (const [name, partitionBy, extra] of tables) {
    const table = path.join(root, name)
    const createArgs = ['create', table, '--schema', schema, ...extra]
    if (partitionBy) createArgs.push('--partition-by', partitionBy)
    ds(...createArgs)
    for (let k = 0; k < 4; k++) {
      const input = path.join(root, `${name}-${k}.jsonl`)
      fs.writeFileSync(input, batch(k * 25, 25))
      ds('append', table, input)
    }
    const history = JSON.parse(ds('history', table, '--json').replace(/:(-?\d{16,})/g, ':"$1"'))
    check(history.length === 4, `${name}: 4 snapshots in history`)

    // Current snapshot through the version hint.
    const expected = canonicalRows(parseJsonl(ds('scan', table)), columns)
    const got = canonicalRows(await icebergRead({ tableUrl: table }), columns)
    check(expected.length === 100 && JSON.stringify(got) === JSON.stringify(expected),
      `${name}: icebird reads the same ${expected.length} rows as datashard`)

    // Every snapshot, by the metadata file that made it current.
    const metadataDir = path.join(table, 'metadata')
    for (const file of fs.readdirSync(metadataDir).filter(f => /^v\d+\.metadata\.json$/.test(f))) {
      const text = fs.readFileSync(path.join(metadataDir, file), 'utf8').replace(/:(-?\d{16,})/g, ':"$1"')
      const current = JSON.parse(text)['current-snapshot-id']
      if (current === -1) continue
      const want = canonicalRows(parseJsonl(ds('scan', table, '--snapshot', String(current))), columns)
      const have = canonicalRows(await icebergRead({ tableUrl: table, metadataFileName: file }), columns)
      check(JSON.stringify(have) === JSON.stringify(want),
        `${name}: time travel to ${file} (${want.length} rows) matches`)
    }

    // Manifests and manifest lists decode with avsc, by the spec's names.
    const latest = fs.readFileSync(path.join(metadataDir, 'version-hint.text'), 'utf8')
    const meta = JSON.parse(fs.readFileSync(path.join(metadataDir, `v${latest}.metadata.json`), 'utf8')
      .replace(/:(-?\d{16,})/g, ':"$1"'))
    const snap = meta.snapshots.find(s => s['snapshot-id'] === meta['current-snapshot-id'])
    const decode = file => new Promise((resolve, reject) => {
      const records = []
      let header = {}
      // avsc's default long loses precision on 63-bit snapshot ids: typeOf reads BigInt.
      avro.createFileDecoder(file, { parseHook: typeOf })
        .on('metadata', (type, codec, h) => { header = h })
        .on('data', r => records.push(r))
        .on('end', () => resolve({ records, header }))
        .on('error', reject)
    })
    const list = await decode(snap['manifest-list'])
    check(list.header.meta['format-version'].toString() === '2', `${name}: manifest list format-version 2`)
    check(list.records.every(m => typeof m.manifest_path === 'string' && m.sequence_number !== undefined &&
      m.added_snapshot_id !== undefined && Number(m.manifest_length) === fs.statSync(m.manifest_path).size),
    `${name}: manifest list rows carry spec fields and exact lengths`)
    let files = 0
    let records = 0
    const dataFiles = []
    for (const m of list.records) {
      const manifest = await decode(m.manifest_path)
      const h = manifest.header.meta
      check(h.content.toString() === 'data' && h['format-version'].toString() === '2' &&
        Array.isArray(JSON.parse(h['partition-spec'].toString())) &&
        JSON.parse(h.schema.toString()).type === 'struct',
      `${name}: manifest ${path.basename(m.manifest_path)} header keys`)
      for (const e of manifest.records) {
        if (e.status === 2) continue
        files++
        records += Number(e.data_file.record_count)
        dataFiles.push(e.data_file)
        if (Number(e.data_file.file_size_in_bytes) !== fs.statSync(e.data_file.file_path).size) {
          check(false, `${name}: exact file_size_in_bytes of ${e.data_file.file_path}`)
        }
      }
    }
    check(String(files) === snap.summary['total-data-files'] && String(records) === snap.summary['total-records'],
      `${name}: manifests hold ${files} files / ${records} rows as the summary says`)

    // DuckDB reads every data file; together they hold the table's rows.
    const paths = dataFiles.map(f => `'${f.file_path}'`).join(', ')
    const reader = await conn.runAndReadAll(
      `SELECT id::VARCHAR AS id, name, amount, strftime(day, '%Y-%m-%d') AS day, flag, n FROM read_parquet([${paths}])`)
    const duckRows = reader.getRowObjects().map(r => ({ ...r, n: r.n === null ? null : Number(r.n) }))
    check(JSON.stringify(canonicalRows(duckRows, columns)) === JSON.stringify(expected),
      `${name}: DuckDB reads ${dataFiles.length} data files with the same rows`)
    for (const f of dataFiles) {
      const lower = f.lower_bounds?.find?.(b => b.key === 1)
      if (lower) {
        const min = Buffer.from(lower.value).readBigInt64LE(0)
        const r = await conn.runAndReadAll(`SELECT min(id)::VARCHAR AS m FROM read_parquet('${f.file_path}')`)
        if (r.getRowObjects()[0].m !== min.toString()) check(false, `${name}: lower bound of id in ${f.file_path}`)
      }
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
finish()
