/** CRC-32 as in IEEE 802.3, zlib and PNG (reflected polynomial 0xEDB88320), used for the data section's `dataCrc32`. */

/**
 * Eight tables of 256: table 0 advances the CRC by one byte; table t by one byte followed by t zero bytes, so eight
 * lookups advance it by eight bytes at once (a cold start checks megabytes of weights; a byte per step is ~4× slower).
 * As int32, so that V8 keeps every value in a register.
 */
const TABLES: Int32Array = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let t = 1; t < 8; t++) {
    for (let n = 0; n < 256; n++) {
      const previous = tables[256 * (t - 1) + n]!;
      tables[256 * t + n] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
})();

/**
 * The unsigned CRC-32 of `bytes`. Pass a previous result as `crc` to continue it over a further chunk,
 * so `crc32(b, crc32(a))` equals the CRC-32 of `a` followed by `b`.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  for (const end = bytes.length - 7; i < end; i += 8) {
    const low = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c = t[1792 + (low & 0xff)]! ^ t[1536 + ((low >>> 8) & 0xff)]! ^ t[1280 + ((low >>> 16) & 0xff)]! ^
      t[1024 + (low >>> 24)]! ^ t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
