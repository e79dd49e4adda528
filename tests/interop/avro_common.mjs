// Helpers shared by the Avro interop tests: avsc with 64-bit longs as
// BigInt, decoding a whole container file, and encoding one with the exact
// schema JSON (field ids and logical types kept) in the header.
import avro from 'avsc';
import fs from 'node:fs';

export const longType = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});

export function typeOf(schema) {
  return avro.Type.forSchema(schema, { registry: { long: longType } });
}

/** Decodes a container file: { meta (strings), codec, schema (JSON), records }. */
export function decodeFile(file) {
  return new Promise((resolve, reject) => {
    let header = null;
    const raw = [];
    avro
      .createFileDecoder(file, { noDecode: true })
      .on('metadata', (type, codec, h) => {
        header = { codec, h };
      })
      .on('data', (buf) => raw.push(buf))
      .on('error', reject)
      .on('end', () => {
        const meta = {};
        for (const [k, v] of Object.entries(header.h.meta)) meta[k] = v.toString();
        const schema = JSON.parse(meta['avro.schema']);
        const type = typeOf(schema);
        resolve({ meta, codec: header.codec, schema, records: raw.map((b) => type.fromBuffer(b)) });
      });
  });
}

/** Writes records with avsc's container encoder; metadata values are strings. */
export function encodeFile(file, schema, records, metadata) {
  return new Promise((resolve, reject) => {
    const meta = {};
    for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
    // Given the schema JSON, avsc writes it verbatim to the header (a Type
    // would drop field ids); its private _type is swapped for one with
    // BigInt longs (avsc 5.7.9 is pinned in package.json).
    const encoder = new avro.streams.BlockEncoder(schema, { codec: 'deflate', metadata: meta });
    if (!encoder._type) throw new Error('avsc internals changed: no BlockEncoder._type');
    encoder._type = typeOf(schema);
    encoder.on('typeError', reject);
    const out = fs.createWriteStream(file);
    out.on('finish', resolve).on('error', reject);
    encoder.pipe(out);
    for (const r of records) encoder.write(r);
    encoder.end();
  });
}

export function hex(buf) {
  return buf === null ? null : Buffer.from(buf).toString('hex');
}

/** Two's-complement big-endian bytes as a decimal string. */
export function unscaled(buf) {
  let n = 0n;
  for (const b of buf) n = (n << 8n) | BigInt(b);
  if (buf.length > 0 && buf[0] & 0x80) n -= 1n << BigInt(8 * buf.length);
  return n.toString();
}
