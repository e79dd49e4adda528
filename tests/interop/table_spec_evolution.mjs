// Interop oracle for partition spec evolution and column moves (`datashard
// alter ... add-partition-field / remove-partition-field / move-column`): a
// table whose files were written under three partition specs, then changed
// by deletes and updates in copy-on-write and merge-on-read mode, is read by
// icebird (the whole table, applying position deletes) and by DuckDB (the
// live data files, minus the rows the live position delete files name) with
// exactly the rows datashard reads, after every step.
// Usage: node table_spec_evolution.mjs <datashard-cli>
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

const { check, finish } = checks('spec evolution interop')
const ds = datashardRunner(cli)

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'datashard-spec-evolution-'))
const conn = await openDuckDB()
try {
  for (const mode of ['copy-on-write', 'merge-on-read']) {
    const table = path.join(root, mode)
    ds('create', table, '--schema', schema, '--partition-by', 'bucket(2,id)',
      '--property', `write.delete.mode=${mode}`, '--property', `write.update.mode=${mode}`)
    let next = 0
    const append = () => {
      const input = path.join(root, `${mode}-${next}.jsonl`)
      const lines = []
      for (let i = next; i < next + 40; i++) {
        lines.push(JSON.stringify({ id: i, name: i % 9 === 0 ? null : `name-${i % 3}`, n: i % 4 }))
      }
      fs.writeFileSync(input, lines.join('\n') + '\n')
      ds('append', table, input)
      next += 40
    }
    const compare = async what => {
      const want = rowsOf(parseJsonl(ds('scan', table)))
      const files = await liveFiles(table)
      const ice = rowsOf(await icebergRead({ tableUrl: table }))
      const iceDiff = sameRows(ice, want)
      check(iceDiff === null, `${what}: icebird reads the ${want.length} rows datashard reads${iceDiff ? ': ' + iceDiff : ''}`)
      const duck = rowsOf(await duckdbLiveRows(conn, files, 'id::VARCHAR AS id, name, n'))
      const duckDiff = sameRows(duck, want)
      check(duckDiff === null, `${what}: DuckDB reads the ${want.length} rows from ${files.data.length} data and ${files.deletes.length} delete files (specs ${files.specs.join(',')})${duckDiff ? ': ' + duckDiff : ''}`)
      return files
    }
    append()
    for (const change of [['add-partition-field', 'name'], ['remove-partition-field', 'id_bucket'],
                          ['add-partition-field', 'truncate(10,id)']]) {
      ds('alter', table, ...change)
      append()
      await compare(`${mode}: after alter ${change.join(' ')} and an append`)
    }
    ds('alter', table, 'move-column', 'n', 'first')
    const files = await compare(`${mode}: after move-column n first`)
    check(files.specs.join(',') === '0,1,2,3', `${mode}: live files of specs ${files.specs.join(',')}`)
    for (const change of [['delete', '--where', 'n = 1 and id < 130'],
                          ['update', '--set', "name='changed',n=7", '--where', 'id >= 30 and id < 110'],
                          ['delete', '--where', "name = 'name-2'"]]) {
      const [command, ...args] = change
      ds(command, table, ...args)
      await compare(`${mode}: after ${change.join(' ')}`)
    }
    check(ds('verify', table).startsWith('ok'), `${mode}: verify passes`)
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
finish()
