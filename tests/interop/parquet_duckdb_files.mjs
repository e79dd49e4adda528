// Files DuckDB writes -- every codec, dictionary and plain, PARQUET_VERSION
// V1 and V2 (data page v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
// BYTE_STREAM_SPLIT), optional columns, every DuckDB type that maps to an
// Iceberg type -- must read back through `datashard parquet cat` exactly as
// DuckDB reads them. Types with no Iceberg v2 equivalent must be refused
// with NotSupported naming the column.
//
// Usage: node parquet_duckdb_files.mjs DATASHARD_CLI
import fs from 'node:fs';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import {
  canonicalDuckForType, canonicalFromJson, check, duckRowsInOrder, openDuckDB, parquetCat, parquetSchema,
  query, runCli, sameCanonical, show, sqlString, tempDir,
} from './parquet_common.mjs';

const [cli] = scriptArgs(['DATASHARD_CLI']);

const ROWS = 6000;
// DuckDB column -> the Iceberg type datashard must map it to.
const COLUMNS = [
  ['b', 'BOOLEAN', 'i % 3 = 0', 'boolean'],
  ['ti', 'TINYINT', '(i % 256 - 128)', 'int'],
  ['si', 'SMALLINT', '(i * 7 % 65536 - 32768)', 'int'],
  ['ii', 'INTEGER', 'CASE i % 50 WHEN 0 THEN -2147483648 WHEN 1 THEN 2147483647 ELSE i * 7919 END', 'int'],
  ['bi', 'BIGINT', 'CASE i % 50 WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 ELSE i * 1000000007 END', 'long'],
  ['uti', 'UTINYINT', 'i % 256', 'int'],
  ['usi', 'USMALLINT', 'i % 65536', 'int'],
  ['ui', 'UINTEGER', 'CASE WHEN i % 10 = 0 THEN 4294967295 ELSE i END', 'long'],
  ['f', 'FLOAT', "CASE i % 40 WHEN 0 THEN 'nan'::FLOAT WHEN 1 THEN '-inf'::FLOAT WHEN 2 THEN -0.0 ELSE i / 3 END", 'float'],
  ['d', 'DOUBLE', "CASE i % 40 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN -0.0 ELSE i / 7 END", 'double'],
  ['d4', 'DECIMAL(4,1)', '(i % 19999 - 9999) / 10', 'decimal(4, 1)'],
  ['d9', 'DECIMAL(9,2)', '(i * 123457 % 1999999999 - 999999999) / 100', 'decimal(9, 2)'],
  ['d18', 'DECIMAL(18,3)', 'i * 1234567891011 / 1000', 'decimal(18, 3)'],
  ['d38', 'DECIMAL(38,10)', "CASE WHEN i % 2 = 0 THEN '-9999999999999999999999999999.9999999999'::DECIMAL(38,10) ELSE (i / 7)::DECIMAL(38,10) END", 'decimal(38, 10)'],
  ['dt', 'DATE', "DATE '1970-01-01' + (i * 37 % 20000 - 10000)::INTEGER", 'date'],
  ['tm', 'TIME', "TIME '00:00:00' + INTERVAL (i * 14400007) MICROSECOND", 'time'],
  ['ts', 'TIMESTAMP', "TIMESTAMP '1900-01-01 00:00:00.000001' + INTERVAL (i * 86400001) MILLISECOND", 'timestamp'],
  ['tstz', 'TIMESTAMPTZ', "TIMESTAMPTZ '2024-01-31 12:00:00.000001+00' + INTERVAL (i) MINUTE", 'timestamptz'],
  ['tsms', 'TIMESTAMP_MS', "(TIMESTAMP '2000-01-01' + INTERVAL (i * 1001) MILLISECOND)::TIMESTAMP_MS", 'timestamp'],
  ['tss', 'TIMESTAMP_S', "(TIMESTAMP '2000-01-01' + INTERVAL (i) HOUR)::TIMESTAMP_S", 'timestamp'],
  ['s', 'VARCHAR', "CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN 'é日本😀' ELSE 'value-' || (i % 97) END", 'string'],
  ['s_unique', 'VARCHAR', "'unique-' || i || repeat('x', i % 13)", 'string'],
  ['bl', 'BLOB', "CASE WHEN i % 4 = 0 THEN ''::BLOB ELSE ('\\x00\\xFF' || (i % 31))::BLOB END", 'binary'],
  ['u', 'UUID', "('00000000-0000-4000-8000-' || lpad(printf('%x', i * 2654435761), 12, '0'))::UUID", 'uuid'],
  ['e', "ENUM('red', 'green', 'blue')", "(['red', 'green', 'blue'])[i % 3 + 1]", 'string'],
  ['hi', 'HUGEINT', 'i * 3', 'double'],
];

function selectList() {
  // Every column is optional: a different tenth of each is NULL.
  return COLUMNS.map(([name, type, expr], k) =>
    `CASE WHEN i % 10 = ${k % 10} THEN NULL ELSE (${expr})::${type} END AS ${name}`).join(',\n  ');
}

async function compareFile(conn, file, label) {
  const schema = parquetSchema(cli, file);
  const types = Object.fromEntries(schema.map((f) => [f.name, f.type]));
  for (const [name, , , iceberg] of COLUMNS) {
    check(types[name] === iceberg, `${label}: column ${name} maps to ${types[name]}, expected ${iceberg}`);
  }
  const ours = parquetCat(cli, file);
  const theirs = await duckRowsInOrder(conn, file);
  check(ours.length === theirs.length, `${label}: datashard read ${ours.length} rows, DuckDB ${theirs.length}`);
  for (let r = 0; r < theirs.length; r++) {
    for (const [name] of COLUMNS) {
      const want = canonicalDuckForType(theirs[r][name], types[name]);
      const have = canonicalFromJson(ours[r][name], types[name]);
      check(sameCanonical(have, want),
        `${label}: row ${r} column ${name}: datashard ${show(have)}, DuckDB ${show(want)}`);
    }
  }
  return ours.length;
}

async function main() {
  const dir = tempDir('datashard-parquet-duckdb-');
  const conn = await openDuckDB(dir);
  try {
    await conn.run(`CREATE TABLE t AS SELECT\n  ${selectList()}\nFROM range(${ROWS}) r(i)`);
    const encodingsSeen = new Set();
    let files = 0;
    for (const version of ['V1', 'V2']) {
      for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
        for (const dictionary of [true, false]) {
          const file = path.join(dir, `duck_${version}_${codec}_${dictionary ? 'dict' : 'plain'}.parquet`);
          // A dictionary size limit of 1 byte makes DuckDB write PLAIN (or DELTA with V2).
          const dict = dictionary ? '' : ', DICTIONARY_SIZE_LIMIT 1';
          await conn.run(`COPY t TO ${sqlString(file)} (FORMAT parquet, COMPRESSION ${codec},
              PARQUET_VERSION ${version}, ROW_GROUP_SIZE 2048${dict})`);
          for (const m of await query(conn, `SELECT encodings FROM parquet_metadata(${sqlString(file)})`)) {
            for (const e of m.encodings.split(', ')) encodingsSeen.add(`${version} ${e}`);
          }
          const rows = await compareFile(conn, file, `${version} ${codec} dictionary=${dictionary}`);
          console.log(`ok ${path.basename(file)}: ${rows} rows identical`);
          files++;
        }
      }
    }
    // The variants must really have exercised the encodings under test.
    for (const e of ['V1 RLE_DICTIONARY', 'V1 PLAIN', 'V2 DELTA_BINARY_PACKED', 'V2 DELTA_LENGTH_BYTE_ARRAY',
      'V2 BYTE_STREAM_SPLIT', 'V2 RLE_DICTIONARY']) {
      check(encodingsSeen.has(e), `no DuckDB file used ${e}; seen: ${[...encodingsSeen].join(', ')}`);
    }

    // Field ids DuckDB writes are what datashard reports.
    const withIds = path.join(dir, 'duck_ids.parquet');
    await conn.run(`COPY (SELECT ii, s FROM t) TO ${sqlString(withIds)} (FORMAT parquet, FIELD_IDS {ii: 7, s: 42})`);
    const ids = parquetSchema(cli, withIds);
    check(ids[0].id === 7 && ids[1].id === 42, `field ids read as ${JSON.stringify(ids)}`);

    // Types Iceberg v2 has no equivalent for are refused, naming the column.
    const unsupported = [
      ['big_unsigned', 'SELECT 18446744073709551615::UBIGINT AS big_unsigned'],
      ['nanos', "SELECT TIMESTAMP_NS '2024-01-01 00:00:00.123456789' AS nanos"],
      ['span', 'SELECT INTERVAL 3 DAY AS span'],
      ['items', 'SELECT [1, 2, 3] AS items'],
      ['point', "SELECT {'x': 1, 'y': 2} AS point"],
    ];
    for (const [column, select] of unsupported) {
      const file = path.join(dir, `unsupported_${column}.parquet`);
      await conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
      const r = runCli(cli, ['parquet', 'cat', file], undefined, 1);
      check(r.stderr.includes('NotSupported') && r.stderr.includes(`'${column}'`),
        `${column}: expected NotSupported naming the column, got: ${r.stderr}`);
    }
    console.log(`checked ${files} DuckDB files (${[...encodingsSeen].sort().join(', ')}), field ids, ` +
      `and ${unsupported.length} unsupported types`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
