import { describe, expect, it } from 'vitest';
import {
  countTernaryCodes, findInvalidTernaryWord, packTernary, ternaryRowWords, unpackTernary,
} from '../../src/format/ternary-pack.js';
import { mulberry32 } from '../../src/models/random.js';

function randomCodes(count: number, seed: number): Int8Array {
  const random = mulberry32(seed);
  return Int8Array.from({ length: count }, () => Math.floor(random() * 3) - 1);
}

describe('ternary packing', () => {
  it('puts the first weight in the lowest bits: +1 → 1, −1 → 2, 0 → 0', () => {
    // Row 0: codes 1, 0, 2 at bits 0–1, 2–3, 4–5 → 0b10_00_01 = 0x21. Row 1: 0, 2, 1 → 0b01_10_00 = 0x18.
    expect([...packTernary([1, 0, -1, 0, -1, 1], [2, 3])]).toEqual([0x21, 0x18]);
    // 16 × −1 fills a word with code 2 = 0b10 → 0xAAAAAAAA; a 17th weight starts a second word.
    expect([...packTernary(new Array(17).fill(-1), [1, 17])]).toEqual([0xaaaaaaaa, 0x2]);
  });

  it('starts each output channel on a fresh word', () => {
    expect(ternaryRowWords(1)).toBe(1);
    expect(ternaryRowWords(16)).toBe(1);
    expect(ternaryRowWords(17)).toBe(2);
    // Two rows of 17 codes: 2 words each, the second holding one code.
    expect([...packTernary(new Array(34).fill(1), [2, 17])]).toEqual([0x55555555, 1, 0x55555555, 1]);
  });

  it('counts +1 and −1 codes a word at a time as unpacking one by one does', () => {
    expect(countTernaryCodes(packTernary([1, 0, -1, 0, -1, 1], [2, 3]))).toEqual({ positive: 2, negative: 2 });
    expect(countTernaryCodes(Uint32Array.of(0xaaaaaaaa, 0x55555555, 0x2))).toEqual({ positive: 16, negative: 17 });
    for (const rowLength of [1, 15, 16, 17, 33, 1152]) {
      const codes = randomCodes(5 * rowLength, rowLength + 1);
      const unpacked = unpackTernary(packTernary(codes, [5, rowLength]), [5, rowLength]);
      const expected = {
        positive: unpacked.filter((code) => code === 1).length,
        negative: unpacked.filter((code) => code === -1).length,
      };
      expect(countTernaryCodes(packTernary(codes, [5, rowLength]))).toEqual(expected);
    }
  });

  it.each([1, 15, 16, 17, 25, 31, 33, 1152])('round-trips rows of K = %i', (rowLength) => {
    for (const shape of [
      [3, rowLength],
      [2, 1, rowLength, 1],
    ]) {
      const codes = randomCodes(shape.reduce((a, b) => a * b, 1), rowLength);
      const words = packTernary(codes, shape);
      expect(words.length).toBe(shape[0]! * ternaryRowWords(rowLength));
      expect(findInvalidTernaryWord(words, rowLength)).toBe(-1);
      expect(unpackTernary(words, shape)).toEqual(codes);
    }
  });

  it('rejects codes other than −1/0/+1 and counts that do not fit the shape', () => {
    expect(() => packTernary([2], [1, 1])).toThrow(RangeError);
    expect(() => packTernary([1, 0], [1, 3])).toThrow(RangeError);
    expect(() => packTernary([1], [1])).toThrow(RangeError);
    expect(() => unpackTernary(new Uint32Array(1), [2, 3])).toThrow(RangeError);
    expect(() => unpackTernary(new Uint32Array([3]), [1, 1])).toThrow(RangeError);
  });

  it('finds code 3 and non-zero padding codes', () => {
    expect(findInvalidTernaryWord(new Uint32Array([0, 0x3 << 30]), 32)).toBe(1);
    // K = 3: codes 3…15 of each row's last word are padding.
    expect(findInvalidTernaryWord(new Uint32Array([0x21, 0x1 << 6]), 3)).toBe(1);
    expect(findInvalidTernaryWord(new Uint32Array([0x2a, 0x18]), 3)).toBe(-1);
    // K = 17: the first word of a row is all data, only the second has padding.
    expect(findInvalidTernaryWord(new Uint32Array([0xaaaaaaaa, 0x2, 0x55555555, 0x4]), 17)).toBe(3);
  });
});
