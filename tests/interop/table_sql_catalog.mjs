// Interop oracle for tables of a SQL catalog (issue 20): a table created and
// changed through `datashard --catalog sqlite:...` is found the way other
// engines find it, from the catalog database alone: the sqlite3 shell reads
// the iceberg_tables row (PyIceberg's layout), icebird reads the metadata
// file the row names and returns the rows datashard scans, for the current
// and the previous version (the row's previous_metadata_location), and
// DuckDB counts the rows of the live data files (copy-on-write).
// Usage: node table_sql_catalog.mjs <datashard-cli>
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { icebergRead } from 'icebird'

import { scriptArgs } from './args.mjs'
import { checks, datashardRunner } from './checks.mjs'
import { localPath, serveLocalFiles } from './local_fetch.mjs'
import { openDuckDB, sqlString } from './parquet_common.mjs'
import { liveFiles } from './table_files.mjs'
import { parseJsonl, sameRows } from './table_rows.mjs'

const [cli] = scriptArgs(['DATASHARD_CLI'], { fromEnv: true })

serveLocalFiles()

const { check, finish } = checks('SQL catalog')
const run = datashardRunner(cli)
const ds = args => run(...args)

function canon(rows) {
  return rows.map(r => JSON.stringify([BigInt(r.id).toString(), r.name ?? null])).sort()
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-sqlcat-'))
try {
  const db = path.join(dir, 'catalog.db')
  const catalog = ['--catalog', `sqlite:${db}`]
  const table = path.join(dir, 'orders')
  ds(['create', ...catalog, 'shop.orders', '--location', table, '--partition-by', 'bucket(2,id)',
    '--property', 'write.delete.mode=copy-on-write',
    '--schema', JSON.stringify([{ id: 1, name: 'id', type: 'long', required: true },
      { id: 2, name: 'name', type: 'string', required: false }])])
  for (let c = 0; c < 3; c++) {
    const rows = []
    for (let i = 0; i < 5; i++) rows.push(JSON.stringify({ id: c * 10 + i, name: `n${c}-${i}` }))
    const file = path.join(dir, `rows${c}.jsonl`)
    fs.writeFileSync(file, rows.join('\n') + '\n')
    ds(['append', ...catalog, 'shop.orders', file])
  }
  const before = canon(parseJsonl(ds(['scan', ...catalog, 'shop.orders'])))
  ds(['delete', ...catalog, 'shop.orders', '--where', 'id < 3'])
  const want = canon(parseJsonl(ds(['scan', ...catalog, 'shop.orders'])))
  check(want.length === 12, 'datashard scans 12 rows after the delete')

  const [current, previous] = execFileSync('sqlite3', ['-separator', '\t', db,
    "SELECT metadata_location, previous_metadata_location FROM iceberg_tables WHERE " +
    "catalog_name = 'datashard' AND table_namespace = 'shop' AND table_name = 'orders'"],
  { encoding: 'utf8' }).trim().split('\t')
  check(/\/00004-[0-9a-f-]{36}\.metadata\.json$/.test(current), `the row names ${current}`)
  check(/\/00003-[0-9a-f-]{36}\.metadata\.json$/.test(previous), `previous is ${previous}`)

  for (const [file, rows, what] of [[current, want, 'current'], [previous, before, 'previous']]) {
    const got = canon(await icebergRead({ tableUrl: table, metadataFileName: path.basename(localPath(file)) }))
    const diff = sameRows(got, rows)
    check(diff === null, `icebird reads the ${what} version from the catalog's row${diff ? `: ${diff}` : ''}`)
  }

  const { data, deletes } = await liveFiles(table, localPath(current))
  check(deletes.length === 0, 'copy-on-write left no delete files')
  const conn = await openDuckDB(dir)
  const list = data.map(f => sqlString(localPath(f))).join(', ')
  const reader = await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet([${list}])`)
  const duckRows = Number(reader.getRowObjects()[0].n)
  check(duckRows === want.length, `DuckDB counts ${duckRows} rows in the live data files`)
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
finish()
