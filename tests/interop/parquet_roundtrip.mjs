// Property-based round trip: seeded random schemas over every Iceberg
// primitive type, with nulls, empty and extreme values, many row groups,
// every codec and dictionary on/off, written by `datashard parquet write`.
// DuckDB and hyparquet must read back exactly the values written; DuckDB's
// parquet_metadata() statistics must equal DuckDB's own aggregates over each
// row group; parquet_schema() must show our field ids.
//
// Usage: node parquet_roundtrip.mjs DATASHARD_CLI
// Env: DATASHARD_INTEROP_SEED (default 20240131), DATASHARD_INTEROP_ITERATIONS (default 36).
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import fs from 'node:fs';
import path from 'node:path';

import { scriptArgs } from './args.mjs';
import {
  Rng, canonicalDuckForType, canonicalFromJson, check, duckRowsInOrder, hex, openDuckDB, parquetCat,
  parseType, pow10, query, runCli, sameCanonical, show, sqlString, tempDir,
} from './parquet_common.mjs';

const [cli] = scriptArgs(['DATASHARD_CLI']);
const seed = Number(process.env.DATASHARD_INTEROP_SEED ?? 20240131);
const iterations = Number(process.env.DATASHARD_INTEROP_ITERATIONS ?? 36);

const PRIMITIVES = ['boolean', 'int', 'long', 'float', 'double', 'decimal', 'date', 'time',
  'timestamp', 'timestamptz', 'string', 'uuid', 'fixed', 'binary'];
const DUCKDB_TYPE = {
  boolean: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', float: 'FLOAT', double: 'DOUBLE',
  date: 'DATE', time: 'TIME', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR', uuid: 'UUID', fixed: 'BLOB', binary: 'BLOB',
};
const MIN_DAY = -719162;  // 0001-01-01
const MAX_DAY = 2932896;  // 9999-12-31
const MICROS_PER_DAY = 86400000000n;

function randomType(rng, kind) {
  if (kind === 'decimal') {
    const p = rng.pick([1, 4, 9, 10, 18, 19, 25, 38, 1 + rng.int(38)]);
    return `decimal(${p}, ${rng.int(p + 1)})`;
  }
  if (kind === 'fixed') return `fixed[${rng.pick([1, 3, 16, 1 + rng.int(40)])}]`;
  return kind;
}

function randomBytes(rng, n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.pick([0, 255, rng.int(256), rng.int(256)]);
  return b;
}

function dateText(days) {
  return new Date(days * 86400000).toISOString().slice(0, 10);
}

function timeText(micros) {
  const s = micros / 1000000n;
  const pad = (v, n = 2) => String(v).padStart(n, '0');
  return `${pad(s / 3600n)}:${pad((s / 60n) % 60n)}:${pad(s % 60n)}.${pad(micros % 1000000n, 6)}`;
}

function timestampText(micros, offsetMinutes) {
  // Shift to the local time of the offset, then print that offset.
  const local = micros + BigInt(offsetMinutes ?? 0) * 60000000n;
  let days = local / MICROS_PER_DAY;
  if (local % MICROS_PER_DAY < 0n) days -= 1n;
  const base = `${dateText(Number(days))}T${timeText(local - days * MICROS_PER_DAY)}`;
  if (offsetMinutes === undefined) return base;
  if (offsetMinutes === 0) return base + (local % 2n === 0n ? 'Z' : '+00:00');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${base}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function floatText(x) {
  if (Number.isNaN(x)) return '"NaN"';
  if (x === Infinity) return '"Infinity"';
  if (x === -Infinity) return '"-Infinity"';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

function decimalText(u, scale) {
  const neg = u < 0n;
  const digits = (neg ? -u : u).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `"${neg ? '-' : ''}${body}"`;
}

// One random value: its JSON Lines text and its canonical form.
function randomValue(rng, type) {
  const t = parseType(type);
  const extreme = rng.chance(0.2);
  switch (t.id) {
    case 'boolean': {
      const b = rng.chance(0.5);
      return { text: String(b), canon: b };
    }
    case 'int': {
      const v = extreme ? rng.pick([-2147483648n, 2147483647n, 0n, -1n])
                        : rng.bigBetween(-2147483648n, 2147483647n) / BigInt(rng.pick([1, 1000, 100000]));
      return { text: String(v), canon: v };
    }
    case 'long': {
      const v = extreme ? rng.pick([-9223372036854775808n, 9223372036854775807n, 0n, 9007199254740993n])
                        : BigInt.asIntN(64, rng.next64()) / BigInt(rng.pick([1, 1000000, 1000000000000]));
      return { text: String(v), canon: v };
    }
    case 'float': {
      const v = extreme ? rng.pick([NaN, -0, 0, Infinity, -Infinity, 3.4028234663852886e38,
        -3.4028234663852886e38, 1.401298464324817e-45])
                        : Math.fround((rng.int(2000001) - 1000000) / rng.pick([1, 7, 1024]));
      return { text: floatText(v), canon: v };
    }
    case 'double': {
      const v = extreme ? rng.pick([NaN, -0, 0, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE,
        5e-324, 0.1])
                        : Number(BigInt.asIntN(64, rng.next64())) / rng.pick([1, 3, 1e10]);
      return { text: floatText(v), canon: v };
    }
    case 'decimal': {
      const limit = pow10(t.precision) - 1n;
      const u = extreme ? rng.pick([limit, -limit, 0n]) : rng.bigBetween(-limit, limit);
      return { text: decimalText(u, t.scale), canon: u };
    }
    case 'date': {
      const d = extreme ? rng.pick([MIN_DAY, MAX_DAY, 0, -1]) : MIN_DAY + rng.int(MAX_DAY - MIN_DAY + 1);
      return { text: `"${dateText(d)}"`, canon: d };
    }
    case 'time': {
      const m = extreme ? rng.pick([0n, 86399999999n]) : rng.bigBetween(0n, 86399999999n);
      return { text: `"${timeText(m)}"`, canon: m };
    }
    case 'timestamp':
    case 'timestamptz': {
      const lo = BigInt(MIN_DAY) * MICROS_PER_DAY + 86400000000n;
      const hi = BigInt(MAX_DAY) * MICROS_PER_DAY - 86400000000n;
      const m = extreme ? rng.pick([lo, hi, 0n, -1n]) : rng.bigBetween(lo, hi);
      const offset = t.id === 'timestamptz' ? rng.pick([0, 0, 330, -480, 60]) : undefined;
      return { text: `"${timestampText(m, offset)}"`, canon: m };
    }
    case 'string': {
      const s = extreme ? rng.pick(['', 'é', '日本語', '😀 emoji', 'q"uote\\back\nline\ttab\u0001', ' '])
                        : `s${rng.int(1000000)}`.repeat(1 + rng.int(3));
      return { text: JSON.stringify(s), canon: s };
    }
    case 'uuid': {
      const b = randomBytes(rng, 16);
      const h = hex(b);
      let text = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      if (rng.chance(0.2)) text = text.toUpperCase();
      return { text: `"${text}"`, canon: h };
    }
    case 'fixed': {
      const b = randomBytes(rng, t.length);
      return { text: `"${b.toString('base64')}"`, canon: hex(b) };
    }
    case 'binary': {
      const b = randomBytes(rng, extreme ? 0 : rng.int(40));
      return { text: `"${b.toString('base64')}"`, canon: hex(b) };
    }
    default: throw new Error(`unknown type ${type}`);
  }
}

function randomCase(rng, iteration) {
  const ncols = 1 + rng.int(8);
  const fields = [];
  let id = 1 + rng.int(1000);
  for (let c = 0; c < ncols; c++) {
    // Every type appears in the first iterations, then any.
    const kind = c === 0 ? PRIMITIVES[iteration % PRIMITIVES.length] : rng.pick(PRIMITIVES);
    fields.push({ id, name: `c${c}_${kind}`, type: randomType(rng, kind), required: rng.chance(0.4) });
    id += 1 + rng.int(3);
  }
  const rows = iteration === 3 ? 40000 : iteration === 5 ? 0 : rng.pick([1, 2, 17, 300, 1000, 2500]);
  const opts = {
    codec: ['none', 'snappy', 'gzip', 'zstd'][iteration % 4],
    dictionary: rng.chance(0.6),
    rowGroupSize: rng.pick([null, 2048, 8192, 65536]),
    pageSize: rng.pick([null, 512, 4096]),
  };
  const columns = fields.map((f) => ({
    nullRate: f.required ? 0 : rng.pick([0, 0.1, 0.5, 1]),
    // A small pool of values makes dictionaries pay off.
    pool: rng.chance(0.4) ? Array.from({ length: 1 + rng.int(6) }, () => randomValue(rng, f.type)) : null,
  }));
  const lines = [];
  const expected = [];
  for (let r = 0; r < rows; r++) {
    const parts = [];
    const row = [];
    for (let c = 0; c < fields.length; c++) {
      const f = fields[c];
      if (columns[c].nullRate > 0 && rng.chance(columns[c].nullRate)) {
        row.push(null);
        if (rng.chance(0.5)) parts.push(`${JSON.stringify(f.name)}:null`);
        continue;
      }
      const v = columns[c].pool ? rng.pick(columns[c].pool) : randomValue(rng, f.type);
      row.push(v.canon);
      parts.push(`${JSON.stringify(f.name)}:${v.text}`);
    }
    lines.push(`{${parts.join(',')}}`);
    expected.push(row);
  }
  return { fields, opts, input: lines.join('\n') + (rows > 0 ? '\n' : ''), expected };
}

function compareRows(label, fields, expected, got, canon) {
  check(got.length === expected.length, `${label}: ${got.length} rows, expected ${expected.length}`);
  for (let r = 0; r < expected.length; r++) {
    for (let c = 0; c < fields.length; c++) {
      const want = expected[r][c];
      const have = canon(got[r][fields[c].name], fields[c]);
      const ok = typeof have === 'object' && have !== null && have.approx !== undefined
        ? (want === null ? false : have.approx(want))
        : sameCanonical(have, want);
      check(ok, `${label}: row ${r} column ${fields[c].name} (${fields[c].type}): got ${show(have)}, expected ${show(want)}`);
    }
  }
}

// hyparquet returns decimals as JS numbers; compare those approximately.
function canonicalHyparquet(v, field) {
  if (v === null || v === undefined) return null;
  const t = parseType(field.type);
  switch (t.id) {
    case 'int': return BigInt(v);
    case 'float': return Math.fround(v);
    case 'decimal':
      return {
        approx: (unscaled) => {
          const want = Number(unscaled) / 10 ** t.scale;
          return Math.abs(v - want) <= 1e-12 * Math.max(1, Math.abs(want));
        },
        toString: () => String(v),
      };
    case 'uuid': return v.replaceAll('-', '');
    case 'fixed':
    case 'binary': return hex(v);
    default: return v;
  }
}

const HYPARQUET_PARSERS = {
  dateFromDays: (d) => d,
  timestampFromMicroseconds: (m) => m,
  timestampFromMilliseconds: (m) => BigInt(m) * 1000n,
};

async function checkStatistics(conn, file, fields) {
  // DuckDB shows infinite float bounds as NULL; hyparquet shows them as parsed.
  const hyMeta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  const meta = await query(conn, `SELECT row_group_id, row_group_num_rows, path_in_schema, stats_min_value,
      stats_max_value, stats_null_count FROM parquet_metadata(${sqlString(file)})
      ORDER BY row_group_id, column_id`);
  const groups = new Map();
  for (const m of meta) {
    const g = Number(m.row_group_id);
    if (!groups.has(g)) groups.set(g, { rows: Number(m.row_group_num_rows), cols: new Map() });
    groups.get(g).cols.set(m.path_in_schema, m);
  }
  let first = 0;
  for (const [g, info] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
    const aggs = fields.map((f, i) => {
      const col = `"${f.name}"`;
      const t = parseType(f.type).id;
      const where = t === 'float' || t === 'double' ? ` FILTER (WHERE NOT isnan(${col}))` : '';
      return `min(${col})${where}::VARCHAR AS min${i}, max(${col})${where}::VARCHAR AS max${i},
              count(*) - count(${col}) AS nulls${i}`;
    });
    const [want] = await query(conn, `SELECT ${aggs.join(', ')} FROM read_parquet(${sqlString(file)},
        file_row_number = true) WHERE file_row_number >= ${first} AND file_row_number < ${first + info.rows}`);
    fields.forEach((f, i) => {
      const m = info.cols.get(f.name);
      const label = `row group ${g} column ${f.name} (${f.type})`;
      check(BigInt(m.stats_null_count) === BigInt(want[`nulls${i}`]),
        `${label}: null_count ${m.stats_null_count}, DuckDB counts ${want[`nulls${i}`]}`);
      const t = parseType(f.type).id;
      for (const side of ['min', 'max']) {
        const stat = m[`stats_${side}_value`];
        const agg = want[`${side}${i}`];
        if (t === 'float' || t === 'double') {
          const num = (s) => (s === null ? null : Number(s.replace(/^(-?)inf(inity)?$/i, '$1Infinity')));
          let have = num(stat);
          if (have === null && agg !== null && !Number.isFinite(num(agg))) {
            have = hyMeta.row_groups[g].columns[i].meta_data.statistics?.[`${side}_value`] ?? null;
          }
          // -0.0 and +0.0 bound each other; compare numerically.
          check((have === null && agg === null) || have == num(agg),
            `${label}: ${side} ${stat} (${have}), DuckDB computes ${agg}`);
        } else {
          check(stat === agg, `${label}: ${side} ${stat}, DuckDB computes ${agg}`);
        }
      }
    });
    first += info.rows;
  }
  return groups.size;
}

async function main() {
  const dir = tempDir('datashard-parquet-roundtrip-');
  const conn = await openDuckDB(dir);
  let totalRows = 0;
  let totalGroups = 0;
  try {
    for (let it = 0; it < iterations; it++) {
      const rng = new Rng(seed + it);
      const { fields, opts, input, expected } = randomCase(rng, it);
      const file = path.join(dir, `case${it}.parquet`);
      const label = `seed ${seed + it} (iteration ${it})`;
      const args = ['parquet', 'write', file, '--schema', JSON.stringify(fields), '--codec', opts.codec];
      if (!opts.dictionary) args.push('--no-dictionary');
      if (opts.rowGroupSize) args.push('--row-group-size', String(opts.rowGroupSize));
      if (opts.pageSize) args.push('--page-size', String(opts.pageSize));
      runCli(cli, args, input);

      try {
        // DuckDB reads every value back, with the types the Iceberg mapping implies.
        const described = await query(conn, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
        fields.forEach((f, i) => {
          const t = parseType(f.type);
          const want = t.id === 'decimal' ? `DECIMAL(${t.precision},${t.scale})` : DUCKDB_TYPE[t.id];
          check(described[i].column_name === f.name && described[i].column_type === want,
            `${label}: DuckDB sees ${described[i].column_name} ${described[i].column_type}, expected ${f.name} ${want}`);
        });
        const rows = await duckRowsInOrder(conn, file);
        compareRows(`${label} DuckDB`, fields, expected, rows, (v, f) => canonicalDuckForType(v, f.type));

        // Field ids in the schema.
        const schema = await query(conn, `SELECT name, field_id FROM parquet_schema(${sqlString(file)})`);
        for (const f of fields) {
          const s = schema.find((x) => x.name === f.name);
          check(s && Number(s.field_id) === f.id, `${label}: field id of ${f.name} is ${s?.field_id}, expected ${f.id}`);
        }

        // Statistics against DuckDB's own aggregates.
        totalGroups += await checkStatistics(conn, file, fields);

        // hyparquet, an independent reader.
        const hy = await parquetReadObjects({
          file: await asyncBufferFromFile(file), compressors, utf8: false, parsers: HYPARQUET_PARSERS,
        });
        compareRows(`${label} hyparquet`, fields, expected, hy, canonicalHyparquet);

        // And datashard's own reader agrees with what it wrote.
        const cat = parquetCat(cli, file);
        compareRows(`${label} datashard cat`, fields, expected, cat, (v, f) => canonicalFromJson(v, f.type));
      } catch (e) {
        e.message = `${e.message}\n  schema: ${JSON.stringify(fields)}\n  options: ${JSON.stringify(opts)}`;
        throw e;
      }
      totalRows += expected.length;
      fs.rmSync(file);
      console.log(`ok ${label}: ${fields.length} columns, ${expected.length} rows, codec ${opts.codec}, ` +
        `dictionary ${opts.dictionary ? 'on' : 'off'}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`checked ${iterations} files, ${totalRows} rows, ${totalGroups} row groups: DuckDB and ` +
    'hyparquet read identical values; DuckDB statistics and field ids match');
}

await main();
