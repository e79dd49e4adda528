// Files hyparquet-writer writes use data page v2 throughout (levels outside
// the compressed values, RLE-encoded booleans, RLE_DICTIONARY), which DuckDB
// does not emit. `datashard parquet cat` must read them back exactly.
//
// Usage: node parquet_hyparquet_files.mjs DATASHARD_CLI
import { parquetWriteFile } from 'hyparquet-writer';
import fs from 'node:fs';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import {
  Rng, canonicalFromJson, check, hex, parquetCat, parquetSchema, sameCanonical, show, tempDir,
} from './parquet_common.mjs';

const [cli] = scriptArgs(['DATASHARD_CLI']);

function columns(rng, rows) {
  const maybeNull = (f) => (i) => (i % 9 === 4 ? null : f(i));
  const gen = (f) => Array.from({ length: rows }, (_, i) => f(i));
  return [
    // [column data for hyparquet-writer, Iceberg type, canonical value]
    { col: { name: 'flag', type: 'BOOLEAN', data: gen(maybeNull(() => rng.chance(0.5))) },
      iceberg: 'boolean', canon: (v) => v },
    { col: { name: 'n32', type: 'INT32', data: gen(maybeNull((i) => (i % 5) * 1000 - 2147483648)) },
      iceberg: 'int', canon: (v) => BigInt(v) },
    { col: { name: 'n64', type: 'INT64', data: gen(maybeNull(() => BigInt.asIntN(64, rng.next64()))) },
      iceberg: 'long', canon: (v) => v },
    { col: { name: 'x', type: 'DOUBLE', data: gen(maybeNull((i) => (i % 3 === 0 ? -0 : i / 7))) },
      iceberg: 'double', canon: (v) => v },
    { col: { name: 'y', type: 'FLOAT', data: gen(maybeNull((i) => Math.fround(i / 3))) },
      iceberg: 'float', canon: (v) => v },
    { col: { name: 'label', type: 'STRING', data: gen(maybeNull((i) => (i % 4 === 0 ? '' : `label-${i % 11}`))) },
      iceberg: 'string', canon: (v) => v },
    { col: { name: 'raw', type: 'BYTE_ARRAY', data: gen(maybeNull((i) => Uint8Array.from([i % 256, 0, 255]))) },
      iceberg: 'binary', canon: (v) => hex(v) },
    { col: { name: 'id', type: 'UUID', data: gen(maybeNull(() => {
      const b = new Uint8Array(16);
      for (let k = 0; k < 16; k++) b[k] = rng.int(256);
      return b;
    })) },
      iceberg: 'uuid', canon: (v) => hex(v) },
    { col: { name: 'at', type: 'TIMESTAMP', data: gen(maybeNull((i) => new Date(1706702400000 + i * 1000))) },
      iceberg: 'timestamptz', canon: (v) => BigInt(v.getTime()) * 1000n },
  ];
}

const dir = tempDir('datashard-parquet-hyparquet-');
try {
  let files = 0;
  for (const compressed of [true, false]) {
    for (const rows of [1, 17, 5000]) {
      const rng = new Rng(rows * 2 + (compressed ? 1 : 0));
      const cols = columns(rng, rows);
      const file = path.join(dir, `hy_${rows}_${compressed}.parquet`);
      await parquetWriteFile({ filename: file, columnData: cols.map((c) => c.col), compressed, rowGroupSize: 2000 });
      const schema = parquetSchema(cli, file);
      cols.forEach((c, i) => check(schema[i].type === c.iceberg,
        `${file}: ${c.col.name} maps to ${schema[i].type}, expected ${c.iceberg}`));
      const got = parquetCat(cli, file);
      check(got.length === rows, `${file}: ${got.length} rows, expected ${rows}`);
      for (let r = 0; r < rows; r++) {
        for (const c of cols) {
          const v = c.col.data[r];
          const want = v === null ? null : c.canon(v);
          const have = canonicalFromJson(got[r][c.col.name], c.iceberg);
          check(sameCanonical(have, want), `${file}: row ${r} column ${c.col.name}: got ${show(have)}, expected ${show(want)}`);
        }
      }
      console.log(`ok ${path.basename(file)}: ${rows} rows identical`);
      files++;
    }
  }
  console.log(`checked ${files} hyparquet-writer files (data page v2, snappy and uncompressed)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
