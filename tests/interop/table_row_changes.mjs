// Interop oracle for row-level changes (DESIGN.md §5): tables changed by
// `datashard delete` and `update` in copy-on-write and merge-on-read mode
// are read by icebird (whole table, applying position delete files) and by
// DuckDB (the live data files, minus the rows the live position delete files
// name) with exactly the rows datashard reads, after every change.
// Usage: node table_row_changes.mjs <datashard-cli>
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { icebergRead } from 'icebird'
import { scriptArgs } from './args.mjs'
import { checks, datashardRunner } from './checks.mjs'
import { serveLocalFiles } from './local_fetch.mjs'
import { duckdbLiveRows, liveFiles } from './table_files.mjs'
import { openDuckDB } from './parquet_common.mjs'
import { idNameNRows as rowsOf, idNameNSchema as schema, parseJsonl, sameRows } from './table_rows.mjs'

const [cli] = scriptArgs(['DATASHARD_CLI'], { fromEnv: true })
serveLocalFiles()

const { check, finish } = checks('row-change interop')
const ds = datashardRunner(cli)

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-row-changes-'))
const conn = await openDuckDB()
try {
  for (const mode of ['copy-on-write', 'merge-on-read']) {
    const table = path.join(root, mode)
    ds('create', table, '--schema', schema, '--partition-by', 'bucket(2,id)',
      '--property', `write.delete.mode=${mode}`, '--property', `write.update.mode=${mode}`)
    for (let k = 0; k < 3; k++) {
      const input = path.join(root, `${mode}-${k}.jsonl`)
      const lines = []
      for (let i = k * 40; i < (k + 1) * 40; i++) {
        lines.push(JSON.stringify({ id: i, name: i % 9 === 0 ? null : `name-${i}`, n: i % 4 }))
      }
      fs.writeFileSync(input, lines.join('\n') + '\n')
      ds('append', table, input)
    }
    const changes = [
      ['delete', '--where', 'n = 1 and id < 60'],
      ['update', '--set', "name='changed',n=7", '--where', 'id >= 100 and id < 110'],
      ['delete', '--where', 'id >= 110'],
      ['update', '--set', 'n=null', '--where', "name = 'changed'"],
    ]
    for (const change of changes) {
      const [command, ...args] = change
      ds(command, table, ...args)
      const what = `${mode}: after ${change.join(' ')}`
      const want = rowsOf(parseJsonl(ds('scan', table)))
      const files = await liveFiles(table)
      check(mode === 'copy-on-write' ? files.deletes.length === 0 : files.deletes.length > 0,
        `${what}: ${files.data.length} data files, ${files.deletes.length} delete files (${files.operation})`)
      const ice = rowsOf(await icebergRead({ tableUrl: table }))
      const iceDiff = sameRows(ice, want)
      check(iceDiff === null, `${what}: icebird reads the ${want.length} rows datashard reads${iceDiff ? ': ' + iceDiff : ''}`)
      const duck = rowsOf(await duckdbLiveRows(conn, files, 'id::VARCHAR AS id, name, n'))
      const duckDiff = sameRows(duck, want)
      check(duckDiff === null, `${what}: DuckDB reads the ${want.length} rows from the live files${duckDiff ? ': ' + duckDiff : ''}`)
    }
    check(execFileSync(cli, ['verify', table], { encoding: 'utf8' }).startsWith('ok'), `${mode}: verify passes`)
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
finish()
