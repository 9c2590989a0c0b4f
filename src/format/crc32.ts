/** CRC-32 as in IEEE 802.3, zlib and PNG (reflected polynomial 0xEDB88320), used for the data section's `dataCrc32`. */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The unsigned CRC-32 of `bytes`. Pass a previous result as `crc` to continue it over a further chunk,
 * so `crc32(b, crc32(a))` equals the CRC-32 of `a` followed by `b`.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
