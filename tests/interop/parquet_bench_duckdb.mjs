// DuckDB's side of bench/parquet_write.sh: times COPY of the same JSON Lines
// rows to zstd Parquet, and reading a Parquet file back. Prints
// "name wall_seconds cpu_seconds" lines (cpu: all threads of this process).
//
// Usage: node parquet_bench_duckdb.mjs WORK_DIR ROWS_JSONL DATASHARD_PARQUET
import path from 'node:path';

import { openDuckDB, sqlString } from './parquet_common.mjs';

const [dir, jsonl, ours] = process.argv.slice(2);
const conn = await openDuckDB(dir);

async function timed(name, sql) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await conn.run(sql);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`${name} ${s.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`);
}

const columns = "{'id': 'BIGINT', 'name': 'VARCHAR', 'score': 'DOUBLE'}";
const theirs = path.join(dir, 'duckdb.parquet');
await timed('duckdb_jsonl_to_parquet',
  `COPY (SELECT * FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited', columns = ${columns}))
   TO ${sqlString(theirs)} (FORMAT parquet, COMPRESSION zstd)`);
await conn.run(`CREATE TABLE t AS SELECT * FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited',
    columns = ${columns})`);
await timed('duckdb_table_to_parquet',
  `COPY t TO ${sqlString(path.join(dir, 'duckdb_from_table.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
await timed('duckdb_parquet_to_jsonl',
  `COPY (SELECT * FROM read_parquet(${sqlString(ours)})) TO ${sqlString(path.join(dir, 'duckdb_out.jsonl'))}
   (FORMAT json)`);
await timed('duckdb_parquet_scan',
  `CREATE TABLE scanned AS SELECT count(*), sum(id), max(name), sum(score) FROM read_parquet(${sqlString(ours)})`);
