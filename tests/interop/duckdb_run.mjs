// Runs SQL statements in a fresh in-memory DuckDB and exits: one process per
// measurement of bench/run. Prints "wall_seconds cpu_seconds first_value":
// the time of the statements alone (cpu: every thread of the process), so
// the caller can subtract Node's and DuckDB's start-up from the time of the
// whole process, and the first column of the last statement's first row.
//
// Usage: node duckdb_run.mjs WORK_DIR SQL [SQL...]
import { scriptArgs } from './args.mjs';
import { openDuckDB } from './parquet_common.mjs';

const [dir] = scriptArgs(['WORK_DIR', 'SQL']);
const conn = await openDuckDB(dir);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
let reader;
for (const sql of process.argv.slice(3)) reader = await conn.runAndReadAll(sql);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(c0);
const rows = reader.getRows();
const first = rows.length > 0 && rows[0].length > 0 ? String(rows[0][0]) : '';
console.log(`${wall.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)} ${first}`);
