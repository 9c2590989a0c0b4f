import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/format/crc32.js';
import { mulberry32 } from '../../src/models/random.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('CRC-32 of %j is the known check value', (text, expected) => {
    expect(crc32(ascii(text))).toBe(expected);
  });

  it('continues across chunks', () => {
    const whole = ascii('123456789');
    expect(crc32(whole.subarray(4), crc32(whole.subarray(0, 4)))).toBe(0xcbf43926);
  });

  const nodeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  it.skipIf(nodeCrc32 === undefined)('agrees with zlib.crc32 on random buffers', () => {
    const random = mulberry32(7);
    for (const length of [1, 3, 7, 8, 9, 15, 16, 17, 64, 255, 1000, 65537]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      expect(crc32(bytes)).toBe(nodeCrc32!(bytes));
      // From an odd offset too, and continued from the middle of an eight-byte step.
      expect(crc32(bytes.subarray(1))).toBe(nodeCrc32!(bytes.subarray(1)));
      expect(crc32(bytes.subarray(length >> 1), crc32(bytes.subarray(0, length >> 1)))).toBe(nodeCrc32!(bytes));
    }
  });
});
