// DuckDB's side of bench/scan.sh: read_parquet over the table's data files,
// a full scan touching every column and the same selective filter as
// datashard's. Prints "name wall_seconds cpu_seconds rows" lines.
//
// Usage: node scan_bench_duckdb.mjs WORK_DIR DATA_GLOB LO HI
import { scriptArgs } from './args.mjs';
import { openDuckDB, sqlString, timedQuery } from './parquet_common.mjs';

const [dir, glob, lo, hi] = scriptArgs(['WORK_DIR', 'DATA_GLOB', 'LO', 'HI']);
const conn = await openDuckDB(dir);
const files = `read_parquet(${sqlString(glob)})`;

// The rows column: the query's count(*).
const rowCount = (reader) => reader.getRows()[0][0];

await timedQuery(conn, 'duckdb_full_scan',
  `SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM ${files}`, rowCount);
await timedQuery(conn, 'duckdb_selective_scan',
  `SELECT count(*), sum(id), sum(k), max(name), sum(score) FROM ${files} WHERE id >= ${lo} AND id < ${hi}`, rowCount);
