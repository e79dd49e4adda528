// DuckDB's side of bench/parquet_write.sh: times COPY of the same JSON Lines
// rows to zstd Parquet, and reading a Parquet file back. Prints
// "name wall_seconds cpu_seconds" lines (cpu: all threads of this process).
//
// Usage: node parquet_bench_duckdb.mjs WORK_DIR ROWS_JSONL DATASHARD_PARQUET
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import { openDuckDB, sqlString, timedQuery } from './parquet_common.mjs';

const [dir, jsonl, ours] = scriptArgs(['WORK_DIR', 'ROWS_JSONL', 'DATASHARD_PARQUET']);
const conn = await openDuckDB(dir);

const columns = "{'id': 'BIGINT', 'name': 'VARCHAR', 'score': 'DOUBLE'}";
const theirs = path.join(dir, 'duckdb.parquet');
await timedQuery(conn, 'duckdb_jsonl_to_parquet',
  `COPY (SELECT * FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited', columns = ${columns}))
   TO ${sqlString(theirs)} (FORMAT parquet, COMPRESSION zstd)`);
await conn.run(`CREATE TABLE t AS SELECT * FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited',
    columns = ${columns})`);
await timedQuery(conn, 'duckdb_table_to_parquet',
  `COPY t TO ${sqlString(path.join(dir, 'duckdb_from_table.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
await timedQuery(conn, 'duckdb_parquet_to_jsonl',
  `COPY (SELECT * FROM read_parquet(${sqlString(ours)})) TO ${sqlString(path.join(dir, 'duckdb_out.jsonl'))}
   (FORMAT json)`);
await timedQuery(conn, 'duckdb_parquet_scan',
  `CREATE TABLE scanned AS SELECT count(*), sum(id), max(name), sum(score) FROM read_parquet(${sqlString(ours)})`);
