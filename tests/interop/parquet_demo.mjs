// The demo of scripts/demo.sh: writes a Parquet file with `datashard parquet
// write` and reads it back with DuckDB, printing every check and its result.
// Exits non-zero on the first mismatch.
//
// Usage: node parquet_demo.mjs DATASHARD_CLI
import fs from 'node:fs';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import {
  canonicalDuckForType, canonicalFromJson, duckRowsInOrder, openDuckDB, parquetCat, parseJson, query,
  runCli, sameCanonical, show, sqlString, tempDir,
} from './parquet_common.mjs';

const [cli] = scriptArgs(['DATASHARD_CLI']);

const ROWS = 5000;
const SCHEMA = [
  { id: 1, name: 'order_id', type: 'long', required: true },
  { id: 2, name: 'customer', type: 'string', required: false },
  { id: 3, name: 'amount', type: 'decimal(12, 2)', required: true },
  { id: 4, name: 'weight_kg', type: 'double', required: false },
  { id: 5, name: 'ordered_on', type: 'date', required: true },
  { id: 6, name: 'shipped_at', type: 'timestamptz', required: false },
  { id: 7, name: 'express', type: 'boolean', required: false },
];
const CUSTOMERS = ['Ada', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Liskov'];

function inputRows() {
  const lines = [];
  for (let i = 0; i < ROWS; i++) {
    const row = {
      order_id: `${9000000000000000000n + BigInt(i)}`,
      customer: i % 11 === 0 ? 'null' : JSON.stringify(CUSTOMERS[i % CUSTOMERS.length]),
      amount: `"${(i * 37) % 100000}.${String(i % 100).padStart(2, '0')}"`,
      weight_kg: i % 13 === 0 ? 'null' : String((i % 500) / 8),
      ordered_on: `"${new Date(Date.UTC(2024, 0, 1) + (i % 366) * 86400000).toISOString().slice(0, 10)}"`,
      shipped_at: i % 7 === 0 ? 'null'
        : `"${new Date(Date.UTC(2024, 0, 2) + i * 60000).toISOString().slice(0, 19)}.${String(i % 1000000).padStart(6, '0')}+00:00"`,
      express: i % 5 === 0 ? 'null' : String(i % 2 === 0),
    };
    lines.push(`{${Object.entries(row).map(([k, v]) => `"${k}":${v}`).join(',')}}`);
  }
  return lines;
}

let failed = false;
function report(what, ok, detail = '') {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) failed = true;
}

const dir = tempDir('datashard-demo-');
try {
  const file = path.join(dir, 'orders.parquet');
  const lines = inputRows();
  const expected = lines.map((l) => {
    const o = parseJson(l);
    return SCHEMA.map((f) => canonicalFromJson(o[f.name] ?? null, f.type));
  });
  console.log(`datashard parquet write: ${ROWS} orders, ${SCHEMA.length} columns (long, string, decimal, ` +
    'double, date, timestamptz, boolean), with nulls, zstd');
  const out = runCli(cli, ['parquet', 'write', file, '--schema', JSON.stringify(SCHEMA), '--codec', 'zstd',
    '--row-group-size', '65536'], lines.join('\n') + '\n');
  console.log(`  ${out.stdout.trim()}`);

  console.log('DuckDB reads the file back:');
  const conn = await openDuckDB(dir);
  const rows = await duckRowsInOrder(conn, file);
  report('row count', rows.length === ROWS, `${rows.length} rows, wrote ${ROWS}`);

  const described = await query(conn, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  const duckTypes = described.map((d) => d.column_type).join(', ');
  report('column types', duckTypes ===
    'BIGINT, VARCHAR, DECIMAL(12,2), DOUBLE, DATE, TIMESTAMP WITH TIME ZONE, BOOLEAN', duckTypes);

  let mismatches = 0;
  let firstMismatch = '';
  let nulls = 0;
  let expectedNulls = 0;
  for (let r = 0; r < Math.min(rows.length, ROWS); r++) {
    SCHEMA.forEach((f, c) => {
      const have = canonicalDuckForType(rows[r][f.name], f.type);
      if (have === null) nulls++;
      if (expected[r][c] === null) expectedNulls++;
      if (!sameCanonical(have, expected[r][c])) {
        if (mismatches++ === 0) firstMismatch = `row ${r} ${f.name}: ${show(have)} != ${show(expected[r][c])}`;
      }
    });
  }
  report('every value equal', mismatches === 0,
    mismatches === 0 ? `${ROWS * SCHEMA.length} cells` : `${mismatches} differ, first: ${firstMismatch}`);
  report('nulls', nulls === expectedNulls, `${nulls} in DuckDB, ${expectedNulls} written`);

  const [sums] = await query(conn, `SELECT sum(amount)::VARCHAR AS total, count(DISTINCT customer) AS customers
      FROM read_parquet(${sqlString(file)})`);
  const total = expected.reduce((s, row) => s + row[2], 0n);
  const totalText = `${total / 100n}.${String(total % 100n).padStart(2, '0')}`;
  report('sum(amount) is exact', sums.total === totalText, `${sums.total}`);
  report('distinct customers', Number(sums.customers) === CUSTOMERS.length, `${sums.customers}`);

  const schema = await query(conn, `SELECT name, field_id FROM parquet_schema(${sqlString(file)}) WHERE field_id IS NOT NULL`);
  const ids = SCHEMA.every((f) => schema.some((s) => s.name === f.name && Number(s.field_id) === f.id));
  report('Iceberg field ids in the Parquet schema', ids, schema.map((s) => `${s.name}=${s.field_id}`).join(' '));

  const meta = await query(conn, `SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value,
      stats_null_count, row_group_num_rows FROM parquet_metadata(${sqlString(file)})`);
  const groups = new Set(meta.map((m) => Number(m.row_group_id))).size;
  const [agg] = await query(conn, `SELECT min(order_id)::VARCHAR AS lo, max(order_id)::VARCHAR AS hi,
      count(*) - count(customer) AS null_customers FROM read_parquet(${sqlString(file)})`);
  const idStats = meta.filter((m) => m.path_in_schema === 'order_id');
  const lo = idStats.map((m) => BigInt(m.stats_min_value)).reduce((a, b) => (b < a ? b : a));
  const hi = idStats.map((m) => BigInt(m.stats_max_value)).reduce((a, b) => (b > a ? b : a));
  report('order_id min/max statistics', String(lo) === agg.lo && String(hi) === agg.hi,
    `${lo}..${hi} over ${groups} row groups`);
  const nullCustomers = meta.filter((m) => m.path_in_schema === 'customer')
    .reduce((s, m) => s + Number(m.stats_null_count), 0);
  report('customer null_count statistics', nullCustomers === Number(agg.null_customers), `${nullCustomers}`);

  const cat = parquetCat(cli, file);
  const catOk = cat.length === ROWS &&
    cat.every((o, r) => SCHEMA.every((f, c) => sameCanonical(canonicalFromJson(o[f.name], f.type), expected[r][c])));
  report('datashard parquet cat returns what was written', catOk, `${cat.length} rows`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.log('demo: MISMATCH');
  process.exit(1);
}
console.log('demo: everything DuckDB read matches what datashard wrote');
