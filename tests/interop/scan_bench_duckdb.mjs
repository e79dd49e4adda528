// DuckDB's side of bench/scan.sh: read_parquet over the table's data files,
// a full scan touching every column and the same selective filter as
// datashard's. Prints "name wall_seconds cpu_seconds rows" lines.
//
// Usage: node scan_bench_duckdb.mjs WORK_DIR DATA_GLOB LO HI
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';

const [dir, glob, lo, hi] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  extension_directory: path.join(dir, 'duckdb_extensions'),
});
const conn = await instance.connect();
const files = `read_parquet('${glob.replaceAll("'", "''")}')`;

async function timed(name, sql) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const reader = await conn.runAndReadAll(sql);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const rows = reader.getRows()[0][0];
  console.log(`${name} ${s.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)} ${rows}`);
}

await timed('duckdb_full_scan',
  `SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM ${files}`);
await timed('duckdb_selective_scan',
  `SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM ${files} WHERE id >= ${lo} AND id < ${hi}`);
