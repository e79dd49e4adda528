// Writes small Parquet files with DuckDB and hyparquet-writer into OUT_DIR:
// the seeds of the Parquet reader's fuzz target (fuzz/make_seeds.sh). Each
// file covers several encodings, codecs and types in a few KB.
//
// Usage: node fuzz_parquet_seeds.mjs OUT_DIR
import { parquetWriteFile } from 'hyparquet-writer';
import fs from 'node:fs';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import { openDuckDB, query, sqlString, tempDir } from './parquet_common.mjs';

const [out] = scriptArgs(['OUT_DIR']);

const ROWS = 40;
const SELECT = `SELECT
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  (i * 7919 % 1000 - 500)::INTEGER AS ii,
  CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN -9223372036854775808 ELSE i * 1000000007 END AS bi,
  CASE i % 10 WHEN 0 THEN 'nan'::FLOAT WHEN 1 THEN -0.0 ELSE i / 3 END::FLOAT AS f,
  CASE i % 10 WHEN 0 THEN 'inf'::DOUBLE ELSE i / 7 END AS d,
  ((i * 123457 % 1999999) - 999999) / 100 :: DECIMAL(9,2) AS d9,
  (i / 7)::DECIMAL(38,10) AS d38,
  DATE '1970-01-01' + (i * 37 % 2000 - 1000)::INTEGER AS dt,
  TIME '00:00:00' + INTERVAL (i * 14400007) MICROSECOND AS tm,
  TIMESTAMP '1900-01-01 00:00:00.000001' + INTERVAL (i * 86400001) MILLISECOND AS ts,
  TIMESTAMPTZ '2024-01-31 12:00:00.000001+00' + INTERVAL (i) MINUTE AS tstz,
  CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN 'é日本😀' ELSE 'v-' || (i % 13) END AS s,
  CASE WHEN i % 4 = 0 THEN NULL ELSE ('\\x00\\xFF' || (i % 31))::BLOB END AS bl,
  ('00000000-0000-4000-8000-' || lpad(printf('%x', i * 2654435761), 12, '0'))::UUID AS u
FROM range(${ROWS}) t(i)`;

const dir = tempDir('datashard-fuzz-seeds-');
const conn = await openDuckDB(dir);
const duck = [
  ['duckdb_v1_zstd_dict', 'COMPRESSION zstd'],
  ['duckdb_v1_snappy', 'COMPRESSION snappy, DICTIONARY_SIZE_LIMIT 1'],
  ['duckdb_v1_gzip', 'COMPRESSION gzip'],
  ['duckdb_v2_zstd', 'COMPRESSION zstd, PARQUET_VERSION V2'],
  ['duckdb_v2_none_plain', 'COMPRESSION uncompressed, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1'],
];
for (const [name, options] of duck) {
  const file = path.join(out, `${name}.parquet`);
  await query(conn, `COPY (${SELECT}) TO ${sqlString(file)} (FORMAT parquet, ${options}, ROW_GROUP_SIZE 16)`);
}

const rows = 30;
const gen = (f) => Array.from({ length: rows }, (_, i) => (i % 9 === 4 ? null : f(i)));
const columnData = [
  { name: 'flag', type: 'BOOLEAN', data: gen((i) => i % 3 === 0) },
  { name: 'n32', type: 'INT32', data: gen((i) => (i % 5) * 1000 - 2147483648) },
  { name: 'n64', type: 'INT64', data: gen((i) => BigInt(i) * 1000000007n - 9000000000000000000n) },
  { name: 'x', type: 'DOUBLE', data: gen((i) => (i % 3 === 0 ? -0 : i / 7)) },
  { name: 'y', type: 'FLOAT', data: gen((i) => Math.fround(i / 3)) },
  { name: 'label', type: 'STRING', data: gen((i) => (i % 4 === 0 ? '' : `label-${i % 11}`)) },
  { name: 'raw', type: 'BYTE_ARRAY', data: gen((i) => Uint8Array.from([i % 256, 0, 255])) },
  { name: 'at', type: 'TIMESTAMP', data: gen((i) => new Date(1706702400000 + i * 1000)) },
];
for (const compressed of [true, false]) {
  const file = path.join(out, `hyparquet_${compressed ? 'snappy' : 'none'}.parquet`);
  await parquetWriteFile({ filename: file, columnData, compressed, rowGroupSize: 12 });
}
fs.rmSync(dir, { recursive: true, force: true });
