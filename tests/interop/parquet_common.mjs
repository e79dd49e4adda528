// Helpers shared by the Parquet interop tests: running the datashard CLI,
// a DuckDB connection that never downloads anything (the table oracles and
// benchmarks open theirs here too), a JSON parser that keeps 64-bit integers
// exact, and one canonical form for values from datashard's JSON Lines,
// DuckDB and hyparquet so they can be compared exactly.
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs the CLI; throws with its stderr unless it exits with `expect`. */
export function runCli(cli, args, input, expect = 0) {
  const r = spawnSync(cli, args, { input, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== expect) {
    throw new Error(`datashard ${args.join(' ')} exited ${r.status} (expected ${expect}):\n${r.stderr}`);
  }
  return r;
}

/** Throws `msg` unless `cond`. */
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** The rows `datashard parquet cat` prints of `file`, integers as BigInt. */
export function parquetCat(cli, file) {
  return runCli(cli, ['parquet', 'cat', file]).stdout.split('\n').filter((l) => l).map(parseJson);
}

/** The Iceberg fields `datashard parquet schema --json` reports of `file`. */
export function parquetSchema(cli, file) {
  return JSON.parse(runCli(cli, ['parquet', 'schema', file, '--json']).stdout);
}

/** A DuckDB connection; given `dir`, its extension directory is under it. */
export async function openDuckDB(dir) {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    ...(dir === undefined ? {} : { extension_directory: path.join(dir, 'duckdb_extensions') }),
  });
  return instance.connect();
}

/**
 * Runs `sql` and prints "name wall_seconds cpu_seconds" (cpu: all threads of
 * this process), then `column(reader)` when given: the result is then read
 * in full, inside the timing.
 */
export async function timedQuery(conn, name, sql, column) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const reader = column ? await conn.runAndReadAll(sql) : await conn.run(sql);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const line = `${name} ${s.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`;
  console.log(column ? `${line} ${column(reader)}` : line);
}

export async function query(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects();
}

/** The rows DuckDB reads of `file`, in the file's order. */
export function duckRowsInOrder(conn, file) {
  return query(conn, `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)},
      file_row_number = true) ORDER BY file_row_number`);
}

export function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Deterministic PRNG (xorshift64*), so every failure names a reproducible seed. */
export class Rng {
  constructor(seed) {
    this.s = BigInt.asUintN(64, BigInt(seed) * 0x9E3779B97F4A7C15n + 1n);
  }
  next64() {
    let x = this.s;
    x ^= x >> 12n;
    x = BigInt.asUintN(64, x ^ (x << 25n));
    x ^= x >> 27n;
    this.s = x;
    return BigInt.asUintN(64, x * 0x2545F4914F6CDD1Dn);
  }
  int(n) {
    return Number(this.next64() % BigInt(n));
  }
  bigBetween(lo, hi) {
    const span = hi - lo + 1n;
    const r = (this.next64() << 64n) | this.next64();
    return lo + (r % span);
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  chance(p) {
    return this.int(1000000) < p * 1000000;
  }
}

/**
 * JSON.parse, except that integer literals become BigInt (JSON.parse would
 * round those above 2^53). Floats stay numbers.
 */
export function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  // The items of an object or array after its opening bracket, up to `close`:
  // `item` reads one, the commas between them are skipped here.
  const items = (close, item) => {
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i++] !== close) throw new Error(`bad JSON at ${i}: ${text}`);
      return;
    }
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      items('}', () => {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ':') throw new Error(`bad JSON at ${i}: ${text}`);
        obj[k] = value();
      });
      return obj;
    }
    if (c === '[') {
      i++;
      const arr = [];
      items(']', () => arr.push(value()));
      return arr;
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`bad JSON at ${i}: ${text}`);
    i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
  };
  const str = () => {
    const start = i;
    if (text[i++] !== '"') throw new Error(`bad JSON string at ${start}: ${text}`);
    for (;;) {
      const c = text[i++];
      if (c === undefined) throw new Error(`unterminated string: ${text}`);
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        return JSON.parse(text.slice(start, i));
      }
    }
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text in JSON: ${text}`);
  return v;
}

export function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

export function pow10(n) {
  return 10n ** BigInt(n);
}

/** Parses an Iceberg type string into {id, precision, scale, length}. */
export function parseType(t) {
  const s = t.replaceAll(' ', '');
  let m = /^decimal\((\d+),(\d+)\)$/.exec(s);
  if (m) return { id: 'decimal', precision: Number(m[1]), scale: Number(m[2]) };
  m = /^fixed\[(\d+)\]$/.exec(s);
  if (m) return { id: 'fixed', length: Number(m[1]) };
  return { id: s };
}

const MICROS_PER_DAY = 86400000000n;

function daysOf(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 19xx.
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(d.getTime() / 86400000);
}

function timeMicros(text) {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(text);
  const frac = (m[4] ?? '').padEnd(6, '0');
  return ((BigInt(m[1]) * 60n + BigInt(m[2])) * 60n + BigInt(m[3])) * 1000000n + BigInt(frac);
}

function timestampMicros(text) {
  const days = BigInt(daysOf(text));
  let micros = days * MICROS_PER_DAY + timeMicros(text.slice(11));
  const off = /([+-])(\d{2}):(\d{2})$/.exec(text);
  if (off) {
    const minutes = BigInt(Number(off[2]) * 60 + Number(off[3]));
    micros -= (off[1] === '-' ? -1n : 1n) * minutes * 60000000n;
  }
  return micros;
}

/**
 * Canonical value of a JSON Lines value (as datashard prints and accepts it):
 * int/long -> BigInt, float/double -> number, decimal -> BigInt unscaled,
 * date -> days, time/timestamp -> BigInt micros, uuid/binary/fixed -> hex.
 */
export function canonicalFromJson(v, type) {
  if (v === null || v === undefined) return null;
  const t = parseType(type);
  switch (t.id) {
    case 'boolean': return v;
    case 'int':
    case 'long': return BigInt(v);
    case 'float':
    case 'double':
      if (typeof v === 'string') return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
      return t.id === 'float' ? Math.fround(Number(v)) : Number(v);
    case 'decimal': {
      const neg = v.startsWith('-');
      const [a, b = ''] = v.replace(/^[-+]/, '').split('.');
      const u = BigInt(a + b.padEnd(t.scale, '0'));
      return neg ? -u : u;
    }
    case 'date': return daysOf(v);
    case 'time': return timeMicros(v);
    case 'timestamp':
    case 'timestamptz': return timestampMicros(v);
    case 'string': return v;
    case 'uuid': return v.replaceAll('-', '').toLowerCase();
    case 'binary':
    case 'fixed': return hex(Buffer.from(v, 'base64'));
    default: throw new Error(`unknown type ${type}`);
  }
}

/** Canonical value of what @duckdb/node-api returns. */
export function canonicalFromDuck(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  switch (v.constructor.name) {
    case 'DuckDBDecimalValue': return v.value;
    case 'DuckDBDateValue': return v.days;
    case 'DuckDBTimeValue':
    case 'DuckDBTimestampValue':
    case 'DuckDBTimestampTZValue': return v.micros;
    case 'DuckDBTimestampMillisecondsValue': return v.millis * 1000n;
    case 'DuckDBTimestampSecondsValue': return v.seconds * 1000000n;
    case 'DuckDBUUIDValue': return v.toString().replaceAll('-', '');
    case 'DuckDBBlobValue': return hex(v.bytes);
    default: throw new Error(`no canonical form for DuckDB value ${v.constructor.name}`);
  }
}

/** Integer columns DuckDB reads as JS numbers compare as BigInt. */
export function canonicalDuckForType(v, type) {
  const c = canonicalFromDuck(v);
  if (c === null) return null;
  const t = parseType(type).id;
  if ((t === 'int' || t === 'long') && typeof c === 'number') return BigInt(c);
  if (t === 'float' && typeof c === 'number') return Math.fround(c);
  return c;
}

export function sameCanonical(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  return a === b;
}

export function show(v) {
  return typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : JSON.stringify(v) ?? String(v);
}
