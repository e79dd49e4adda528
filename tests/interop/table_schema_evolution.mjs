// Interop oracle for schema evolution and expiry (`datashard alter`,
// `datashard expire`): after each change icebird reads the whole table with
// exactly the rows datashard reads (old files under the new schema by field
// id), DuckDB counts the rows of the live data files, and after an expire
// both still read the table and no live file is gone. icebird matches
// Parquet columns by name, not by Iceberg field id, so a renamed column's
// values in files written before the rename read as null there: after the
// rename that column is left out of the icebird comparison (datashard's own
// reads of it by id are checked by schema_evolution_test).
// Usage: node table_schema_evolution.mjs <datashard-cli>
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { icebergRead } from 'icebird'
import { scriptArgs } from './args.mjs'
import { checks, datashardRunner } from './checks.mjs'
import { serveLocalFiles } from './local_fetch.mjs'
import { liveFiles } from './table_files.mjs'
import { openDuckDB } from './parquet_common.mjs'
import { parseJsonl, sameRows } from './table_rows.mjs'

const [cli] = scriptArgs(['DATASHARD_CLI'], { fromEnv: true })
serveLocalFiles()

const { check, finish } = checks('schema evolution interop')
const ds = datashardRunner(cli)
// A row as text independent of key order and of how a reader types numbers.
const rowText = (r, skip) => JSON.stringify(Object.keys(r).filter(k => !skip.includes(k)).sort()
  .map(k => [k, r[k] === null || r[k] === undefined ? null : String(r[k])]))
const rowsOf = (rows, skip = []) => rows.map(r => rowText(r, skip)).sort()
const renamed = []  // columns icebird cannot follow through a rename

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-schema-evolution-'))
const conn = await openDuckDB()
try {
  const table = path.join(root, 't')
  ds('create', table, '--schema', JSON.stringify([
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'name', type: 'string', required: false },
    { id: 3, name: 'n', type: 'int', required: false },
    { id: 4, name: 'f', type: 'float', required: false },
  ]), '--property', 'datashard.expire.delete-grace-ms=0', '--property', 'write.delete.mode=copy-on-write')
  let next = 0
  const append = extra => {
    const input = path.join(root, `rows-${next}.jsonl`)
    const lines = []
    for (let i = next; i < next + 20; i++) lines.push(JSON.stringify({ id: i, n: i % 5, f: i + 0.5, ...extra(i) }))
    fs.writeFileSync(input, lines.join('\n') + '\n')
    ds('append', table, input)
    next += 20
  }
  const compare = async what => {
    const want = rowsOf(parseJsonl(ds('scan', table)), renamed)
    const ice = rowsOf(await icebergRead({ tableUrl: table }), renamed)
    const diff = sameRows(ice, want)
    const note = renamed.length ? ` (without ${renamed.join(', ')})` : ''
    check(diff === null, `${what}: icebird reads the ${want.length} rows datashard reads${note}${diff ? ': ' + diff : ''}`)
    const files = (await liveFiles(table)).data
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS c FROM read_parquet([${files.map(p => `'${p}'`).join(', ')}])`)
    const count = reader.getRowObjects()[0].c
    check(count === want.length, `${what}: DuckDB counts ${count} rows in ${files.length} live data files`)
  }
  append(i => ({ name: `name-${i}` }))
  const steps = [
    [['add-column', 'score', 'long'], i => ({ name: `name-${i}`, score: i * 10 })],
    [['widen-column', 'n', 'long'], i => ({ name: `name-${i}`, score: i })],
    [['widen-column', 'f', 'double'], i => ({ name: `name-${i}` })],
    [['rename-column', 'name', 'label'], i => ({ label: `label-${i}` })],
    [['drop-column', 'score'], i => ({ label: `label-${i}` })],
  ]
  for (const [change, extra] of steps) {
    ds('alter', table, ...change)
    if (change[0] === 'rename-column') renamed.push(change[2])
    await compare(`after alter ${change.join(' ')}`)
    append(extra)
    await compare(`after alter ${change.join(' ')} and an append`)
  }
  ds('delete', table, '--where', 'id < 30')
  const expired = JSON.parse(ds('expire', table, '--older-than', '0s', '--retain-last', '1', '--json'))
  check(expired.data_files === 2 && expired.expired_snapshot_ids.length > 0,
    `expire retired ${expired.expired_snapshot_ids.length} snapshots and ${expired.data_files} data files`)
  await compare('after delete and expire')
  check(ds('verify', table).startsWith('ok'), 'verify passes')
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
finish()
