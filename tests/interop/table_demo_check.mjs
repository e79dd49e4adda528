// Independent readers for the demo (scripts/demo.sh): icebird reads the
// table through its metadata, DuckDB reads the Parquet data files the
// current snapshot lists; both must hold exactly `expected` rows with unique
// ids and agree on their sum. Prints each verified fact; exit 1 on a mismatch.
// Usage: node table_demo_check.mjs TABLE EXPECTED_ROWS
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird'
import { scriptArgs } from './args.mjs'
import { serveLocalFiles } from './local_fetch.mjs'
import { openDuckDB, sqlString } from './parquet_common.mjs'

const [table, expectedText] = scriptArgs(['TABLE', 'EXPECTED_ROWS'])
const expected = BigInt(expectedText)

serveLocalFiles()

let ok = true
function fact(good, text) {
  console.log(`${good ? 'verified' : 'MISMATCH'}: ${text}`)
  ok = ok && good
}

const rows = await icebergRead({ tableUrl: table })
const ids = new Set(rows.map(r => r.id))
const icebirdSum = rows.reduce((s, r) => s + BigInt(r.id), 0n)
fact(BigInt(rows.length) === expected, `icebird reads ${rows.length} rows (expected ${expected})`)
fact(ids.size === rows.length, `icebird sees ${ids.size} distinct ids`)

const metadata = await icebergMetadata({ tableUrl: table })
const files = (await icebergManifests(metadata))
  .flatMap(m => m.entries).filter(e => e.status !== 2).map(e => e.data_file.file_path)
const conn = await openDuckDB()
const list = files.map(sqlString).join(', ')
const result = await conn.runAndReadAll(
  `SELECT count(*)::VARCHAR AS n, count(DISTINCT id)::VARCHAR AS d, sum(id)::VARCHAR AS s FROM read_parquet([${list}])`)
const { n, d, s } = result.getRowObjects()[0]
fact(BigInt(n) === expected, `DuckDB reads ${n} rows from the ${files.length} Parquet data files of the current snapshot`)
fact(BigInt(d) === expected, `DuckDB sees ${d} distinct ids`)
fact(BigInt(s) === icebirdSum, `DuckDB and icebird agree on the sum of ids (${s})`)
process.exit(ok ? 0 : 1)
