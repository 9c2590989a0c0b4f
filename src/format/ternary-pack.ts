/**
 * 2-bit packing of ternary weights (docs/FORMAT.md §5): code 0 → 0, 1 → +1, 2 → −1, 3 invalid; 16 codes per u32,
 * lowest bits first; each output channel's row starts on a fresh word and its unused trailing codes are 0.
 */

const CODES_PER_WORD = 16;
/** The low bit of every 2-bit code in a word. */
const LOW_BITS = 0x55555555;
const DECODED: readonly number[] = [0, 1, -1];

/** Number of u32 words one output channel of `rowLength` (K) ternary weights occupies. */
export function ternaryRowWords(rowLength: number): number {
  return Math.ceil(rowLength / CODES_PER_WORD);
}

/** O (output channels) and K (weights per channel, the product of the remaining dims) of a ternary tensor shape. */
export function ternaryRows(shape: readonly number[]): { rows: number; rowLength: number } {
  if (shape.length < 2) throw new RangeError(`a ternary tensor has rank ≥ 2, got shape [${shape.join(', ')}]`);
  return { rows: shape[0]!, rowLength: shape.slice(1).reduce((a, b) => a * b, 1) };
}

/** Packs codes −1/0/+1 (row-major over `shape`, first dim = output channel) into ⌈K/16⌉ words per channel. */
export function packTernary(codes: Int8Array | readonly number[], shape: readonly number[]): Uint32Array {
  const { rows, rowLength } = ternaryRows(shape);
  if (codes.length !== rows * rowLength) {
    throw new RangeError(`expected ${rows * rowLength} codes for shape [${shape.join(', ')}], got ${codes.length}`);
  }
  const rowWords = ternaryRowWords(rowLength);
  const words = new Uint32Array(rows * rowWords);
  for (let o = 0; o < rows; o++) {
    for (let k = 0; k < rowLength; k++) {
      const value = codes[o * rowLength + k]!;
      if (value === 0) continue;
      if (value !== 1 && value !== -1) throw new RangeError(`ternary codes are −1, 0 or +1, got ${value} at ${o * rowLength + k}`);
      const word = o * rowWords + Math.floor(k / CODES_PER_WORD);
      words[word] = (words[word]! | ((value === 1 ? 1 : 2) << (2 * (k % CODES_PER_WORD)))) >>> 0;
    }
  }
  return words;
}

/** Inverse of {@link packTernary}. Throws RangeError on a code 3 or a word count that does not fit the shape. */
export function unpackTernary(words: Uint32Array, shape: readonly number[]): Int8Array {
  const { rows, rowLength } = ternaryRows(shape);
  const rowWords = ternaryRowWords(rowLength);
  if (words.length !== rows * rowWords) {
    throw new RangeError(`expected ${rows * rowWords} words for shape [${shape.join(', ')}], got ${words.length}`);
  }
  const codes = new Int8Array(rows * rowLength);
  for (let o = 0; o < rows; o++) {
    for (let k = 0; k < rowLength; k++) {
      const word = words[o * rowWords + Math.floor(k / CODES_PER_WORD)]!;
      const code = (word >>> (2 * (k % CODES_PER_WORD))) & 3;
      if (code === 3) throw new RangeError(`invalid ternary code 3 at row ${o}, index ${k}`);
      codes[o * rowLength + k] = DECODED[code]!;
    }
  }
  return codes;
}

/** Set bits of a 32-bit word. */
function bitCount(word: number): number {
  let bits = word - ((word >> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >> 2) & 0x33333333);
  return Math.imul((bits + (bits >> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * How many +1 and −1 codes `words` hold, a word at a time (the file's load-time statistics would otherwise visit
 * every weight). The words must be valid (findInvalidTernaryWord = −1): no code 3, and padding codes are 0.
 */
export function countTernaryCodes(words: Uint32Array): { positive: number; negative: number } {
  let positive = 0;
  let negative = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    positive += bitCount(word & LOW_BITS);
    negative += bitCount((word >>> 1) & LOW_BITS);
  }
  return { positive, negative };
}

/**
 * Index of the first word holding a code 3 or a non-zero code past the end of its row, or −1 if all are valid.
 * `words` must hold exactly rows · ⌈rowLength/16⌉ words.
 */
export function findInvalidTernaryWord(words: Uint32Array, rowLength: number): number {
  const rowWords = ternaryRowWords(rowLength);
  const usedInLastWord = rowLength % CODES_PER_WORD;
  // Bits of the codes past the row's end in its last word; those must be zero.
  const paddingMask = usedInLastWord === 0 ? 0 : -1 << (2 * usedInLastWord);
  // As int32, so that V8 keeps every value in a register (a u32 above 2^31 would be a heap number).
  const signed = new Int32Array(words.buffer, words.byteOffset, words.length);
  if (rowWords === 0) return -1;
  for (let rowEnd = rowWords; rowEnd <= signed.length; rowEnd += rowWords) {
    for (let i = rowEnd - rowWords; i < rowEnd; i++) {
      const word = signed[i]!;
      if ((word & (word >> 1) & LOW_BITS) !== 0) return i;
    }
    if ((signed[rowEnd - 1]! & paddingMask) !== 0) return rowEnd - 1;
  }
  return -1;
}
