// The live files of a table's current snapshot, read with avsc straight from
// its metadata, manifest list and manifests: what the table oracles hand to
// DuckDB.
import fs from 'node:fs'
import path from 'node:path'
import avro from 'avsc'
import { typeOf } from './avro_common.mjs'

function decode(file) {
  return new Promise((resolve, reject) => {
    const records = []
    avro.createFileDecoder(file, { parseHook: typeOf })
      .on('data', r => records.push(r))
      .on('end', () => resolve(records))
      .on('error', reject)
  })
}

// Live data and delete files of the table's current snapshot, its operation,
// and the partition spec ids of the manifests listing them: of the metadata
// file `metadataFile` when given (a catalog's table), else of the version the
// hint names.
export async function liveFiles(table, metadataFile) {
  const dir = path.join(table, 'metadata')
  let file = metadataFile
  if (file === undefined) {
    const version = fs.readFileSync(path.join(dir, 'version-hint.text'), 'utf8').trim()
    file = path.join(dir, `v${version}.metadata.json`)
  }
  const meta = JSON.parse(fs.readFileSync(file, 'utf8').replace(/:(-?\d{16,})/g, ':"$1"'))
  const snap = meta.snapshots.find(s => s['snapshot-id'] === meta['current-snapshot-id'])
  const data = []
  const deletes = []
  const specs = new Set()
  for (const m of await decode(snap['manifest-list'])) {
    for (const e of await decode(m.manifest_path)) {
      if (e.status === 2) continue
      ;(Number(m.content) === 0 ? data : deletes).push(e.data_file.file_path)
      specs.add(Number(m.partition_spec_id))
    }
  }
  return { data, deletes, specs: [...specs].sort(), operation: snap.summary.operation }
}

// The rows DuckDB reads from live files (as liveFiles returns them): every
// row of the data files except those the position delete files name.
// `columns` is the SELECT list.
export async function duckdbLiveRows(conn, files, columns) {
  const list = paths => paths.map(p => `'${p}'`).join(', ')
  const deleted = files.deletes.length === 0 ? '' :
    ` WHERE (filename, file_row_number) NOT IN (SELECT (file_path, pos) FROM read_parquet([${list(files.deletes)}]))`
  const reader = await conn.runAndReadAll(
    `SELECT ${columns} FROM read_parquet([${list(files.data)}], filename = true, file_row_number = true)${deleted}`)
  return reader.getRowObjects()
}
