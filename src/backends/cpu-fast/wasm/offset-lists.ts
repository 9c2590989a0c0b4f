/**
 * A ternary conv2d weight's offset lists, written by WebAssembly. A cold start writes millions of entries (ResNet-18
 * 224: 6.7 M), and a JavaScript loop over them runs most of that in the engine's unoptimised tiers (its optimised
 * code arrives while it runs, fresh in every worker), where compiled WebAssembly runs at speed from the first call.
 * Each function is a task function (threads.ts: thread scratch first, then up to six i32 arguments) over a range of
 * rows, so that helper threads share the work (arena.ts).
 */
import { DESC, field, increment, lessThan, Locals, whileLoop } from './builder.js';
import { encodeModule, I32, op, type Code, type MemoryImport } from './encode.js';
import type { OffsetBytes } from './kernels.js';

const { localGet: get, localSet: set, i32Const: constant } = op;

/**
 * Parameters of `signedOffsets`, all i32 byte addresses or counts, after the thread scratch that every task function
 * takes first (threads.ts): a task of a phase writes the lists of a range of rows, on whichever thread takes it.
 */
const [WORDS, ROW_WORDS, ROWS, STARTS, MAP, OUT] = [1, 2, 3, 4, 5, 6];
const PARAMS = 7;
/** The low bit of every 2-bit code in a word (ternary-pack.ts). */
const LOW_BITS = 0x55555555;

/**
 * `signedOffsets(scratch, words, rowWords, rows, starts, map, out)`: for each row o of `rows` (`rowWords` packed words
 * each, from `words`; `scratch` unused), map[k] (i32 at map + 4k) for every k of its +1 codes, ascending, from
 * out + b·starts[2o] on, and for every k of its −1 codes from out + b·starts[2o + 1] on, b = `offsetBytes` bytes each
 * (`signedShortOffsets`: u16, which every map[k] must fit). The codes must be valid (no code 3), as the format reader
 * checks (findInvalidTernaryWord).
 */
function signedOffsetsFunction(offsetBytes: OffsetBytes) {
  const locals = new Locals(PARAMS);
  const [row, word, base, end, bits, plus, minus] = [0, 0, 0, 0, 0, 0, 0].map(() => locals.i32()) as number[];
  const startAt = (sign: number): Code => [get(OUT), get(STARTS), get(row!), constant(3), op.i32Shl, op.i32Add,
    op.i32Load(4 * sign), constant(offsetBytes === 2 ? 1 : 2), op.i32Shl, op.i32Add];
  // For each set bit of `bits` (a code's low bit), lowest first: map[base + bit / 2] at `cursor`, which moves on.
  const writeEach = (cursor: number): Code =>
    whileLoop(
      get(bits!),
      get(cursor),
      [get(MAP), get(base!), get(bits!), op.i32Ctz, constant(1), op.i32ShrU, op.i32Add, constant(2), op.i32Shl,
        op.i32Add, op.i32Load()],
      offsetBytes === 2 ? op.i32Store16() : op.i32Store(),
      increment(cursor, constant(offsetBytes)),
      [get(bits!), get(bits!), constant(1), op.i32Sub, op.i32And, set(bits!)],
    );
  const notShifted = (value: Code): Code => [value, constant(-1), op.i32Xor];
  const shifted: Code = [get(word!), constant(1), op.i32ShrU];
  const body = whileLoop(
    lessThan(row!, ROWS),
    [startAt(0), set(plus!)],
    [startAt(1), set(minus!)],
    [constant(0), set(base!)],
    [get(ROW_WORDS), constant(4), op.i32Shl, set(end!)],
    whileLoop(
      lessThan(base!, end!),
      [get(WORDS), op.i32Load(), set(word!)],
      // +1 is code 1: low bit set, high bit clear; −1 is code 2, the other way round.
      [get(word!), notShifted(shifted), op.i32And, constant(LOW_BITS), op.i32And, set(bits!)],
      writeEach(plus!),
      [shifted, notShifted(get(word!)), op.i32And, constant(LOW_BITS), op.i32And, set(bits!)],
      writeEach(minus!),
      increment(WORDS, constant(4)),
      increment(base!, constant(16)),
    ),
    increment(row!, constant(1)),
  );
  const name = offsetBytes === 2 ? 'signedShortOffsets' : 'signedOffsets';
  return { name, params: new Array(PARAMS).fill(I32), locals: locals.types, body };
}

/**
 * `signedCounts(scratch, words, rowWords, rows, counts)`: for each row o of `rows` (`rowWords` packed words each, from
 * `words`), how many +1 codes (i32 at counts + 8o) and −1 codes (at counts + 8o + 4) it holds: the lengths of the
 * lists signedOffsets writes, counted with the same masks.
 */
function signedCountsFunction() {
  const [IN, IN_ROW_WORDS, ROW_COUNT, COUNTS] = [1, 2, 3, 4];
  const locals = new Locals(5);
  const [row, end, word, plus, minus] = Array.from({ length: 5 }, () => locals.i32());
  const shifted: Code = [get(word!), constant(1), op.i32ShrU];
  const notShifted = (value: Code): Code => [value, constant(-1), op.i32Xor];
  const body = whileLoop(
    lessThan(row!, ROW_COUNT),
    [constant(0), set(plus!), constant(0), set(minus!)],
    [get(IN), get(IN_ROW_WORDS), constant(2), op.i32Shl, op.i32Add, set(end!)],
    whileLoop(
      lessThan(IN, end!),
      [get(IN), op.i32Load(), set(word!)],
      [get(plus!), get(word!), notShifted(shifted), op.i32And, constant(LOW_BITS), op.i32And, op.i32Popcnt, op.i32Add,
        set(plus!)],
      [get(minus!), shifted, notShifted(get(word!)), op.i32And, constant(LOW_BITS), op.i32And, op.i32Popcnt, op.i32Add,
        set(minus!)],
      increment(IN, constant(4)),
    ),
    [get(COUNTS), get(plus!), op.i32Store(), get(COUNTS), get(minus!), op.i32Store(4)],
    increment(COUNTS, constant(8)),
    increment(row!, constant(1)),
  );
  return { name: 'signedCounts', params: new Array(5).fill(I32), locals: locals.types, body };
}

/** The fields of pairedCodes' descriptor, i32 byte addresses or counts. */
export const PAIRED_CODES_FIELDS = {
  WORDS: 0, ROW_WORDS: 1, CHANNELS: 2, TAPS: 3, OUT: 4, CHUNK_WORDS: 5, CHUNK_STRIDE: 6, SIZE: 7,
} as const;

/** A pairedCodes descriptor (PAIRED_CODES_FIELDS) of these byte addresses and counts. */
export function pairedCodesDescriptor(
  words: number, rowWords: number, channels: number, taps: number, out: number, chunkWords: number, chunkStride: number,
): Int32Array {
  const F = PAIRED_CODES_FIELDS;
  const fields = new Int32Array(F.SIZE);
  [fields[F.WORDS], fields[F.ROW_WORDS], fields[F.CHANNELS], fields[F.TAPS]] = [words, rowWords, channels, taps];
  [fields[F.OUT], fields[F.CHUNK_WORDS], fields[F.CHUNK_STRIDE]] = [out, chunkWords, chunkStride];
  return fields;
}

/**
 * `pairedCodes(scratch, descriptor, firstRow, endRow)`, descriptor PAIRED_CODES_FIELDS (words, rowWords, channels,
 * taps, out, chunkWords, chunkStride): rows [firstRow, endRow) of a ternary conv2d weight [rows, channels, taps]
 * (`rowWords` packed words per row at `words`) as the packed codes of its terms over the paired grid (linear.ts,
 * PAIR_PLANES), at `out`, which must be zero: for channels (a, b) = (2p, 2p + 1) and each tap, the one term
 * of the pair's weights (wa, wb), at k = (4p + plane)·taps + tap with plane 0 (a) and code wa if wb is 0, plane 1 (b)
 * and code wb if wa is 0, else plane 2 (a + b) if wa = wb, plane 3 (a − b) if not, each with code wa; an odd last
 * channel pairs with zeros. Nothing is written for two zero weights. A row's terms are cut into chunks of
 * `chunkWords` words (16 terms each), chunk c of row o at word c·chunkStride + o·chunkWords from `out`: the conv
 * kernel reads one chunk of every row in turn (chunkStride = rows·chunkWords), and with one chunk per row the rows
 * simply follow each other. A chunk holds whole pairs (4·taps terms each), as linear.ts cuts grid channels in
 * multiples of 16.
 */
function pairedCodesFunction() {
  const [ROW, ROW_END] = [2, 3];
  const locals = new Locals(4);
  const i32 = () => locals.i32();
  const F = PAIRED_CODES_FIELDS;
  const [IN, IN_ROW_WORDS, CHANNELS, TAPS] = [i32(), i32(), i32(), i32()];
  const [CODES, CHUNK_WORDS, CHUNK_STRIDE] = [i32(), i32(), i32()];
  const fieldLocals = [
    [F.WORDS, IN], [F.ROW_WORDS, IN_ROW_WORDS], [F.CHANNELS, CHANNELS], [F.TAPS, TAPS], [F.OUT, CODES],
    [F.CHUNK_WORDS, CHUNK_WORDS], [F.CHUNK_STRIDE, CHUNK_STRIDE],
  ] as const;
  const loadFields = fieldLocals.map(([index, local]) => [field(DESC, index), set(local)]);
  const [inRow, outRow, pairRow, channel, tap, k, a, b, term, at] = Array.from({ length: 10 }, () => locals.i32());
  const row = ROW;
  /** The 2-bit code at index `index` of the row at `rowAt`. */
  const codeAt = (rowAt: number, index: Code): Code => [
    get(rowAt!), index, constant(4), op.i32ShrU, constant(2), op.i32Shl, op.i32Add, op.i32Load(),
    index, constant(15), op.i32And, constant(1), op.i32Shl, op.i32ShrU, constant(3), op.i32And,
  ];
  const plane: Code = [
    constant(1),
    [constant(0), [constant(2), constant(3), get(a!), get(b!), op.i32Eq, op.select], get(b!), op.i32Eqz, op.select],
    get(a!), op.i32Eqz, op.select,
  ];
  const body = [loadFields, whileLoop(
    lessThan(row!, ROW_END),
    [get(IN), get(row!), get(IN_ROW_WORDS), op.i32Mul, constant(2), op.i32Shl, op.i32Add, set(inRow!)],
    [get(CODES), get(row!), get(CHUNK_WORDS), op.i32Mul, constant(2), op.i32Shl, op.i32Add, set(outRow!)],
    [constant(0), set(channel!)],
    whileLoop(
      lessThan(channel!, CHANNELS),
      // Where the pair's terms go: the row, moved on by the other rows' chunks before the pair's own chunk (its
      // first term's word ÷ chunkWords; one division per pair, as its terms lie in one chunk).
      [get(channel!), constant(1), op.i32Shl, get(TAPS), op.i32Mul, constant(4), op.i32ShrU, get(CHUNK_WORDS),
        op.i32DivS, get(CHUNK_STRIDE), get(CHUNK_WORDS), op.i32Sub, op.i32Mul, constant(2), op.i32Shl, get(outRow!),
        op.i32Add, set(pairRow!)],
      [constant(0), set(tap!)],
      whileLoop(
        lessThan(tap!, TAPS),
        [get(channel!), get(TAPS), op.i32Mul, get(tap!), op.i32Add, set(k!)],
        [codeAt(inRow!, get(k!)), set(a!)],
        [get(channel!), constant(1), op.i32Add, get(CHANNELS), op.i32LtS],
        op.if(codeAt(inRow!, [get(k!), get(TAPS), op.i32Add]), set(b!)),
        [get(channel!), constant(1), op.i32Add, get(CHANNELS), op.i32GeS, op.if(constant(0), set(b!))],
        // Two zero weights have no term, and no word is touched: their plane (1) lies past the row's terms when the
        // last channel pairs with zeros, in a word of the next row, whose task another thread may be writing (a load
        // and store of it there lost that thread's bits: LeNet-5's conv1, one channel).
        [get(a!), get(b!), op.i32Or],
        op.if(
          // The term's k: channel 2p's pair starts at grid channel 4p = 2·channel.
          [get(channel!), constant(1), op.i32Shl, plane, op.i32Add, get(TAPS), op.i32Mul, get(tap!), op.i32Add, set(term!)],
          [get(pairRow!), get(term!), constant(4), op.i32ShrU, constant(2), op.i32Shl, op.i32Add, set(at!)],
          get(at!), get(at!), op.i32Load(),
          [get(b!), get(a!), get(a!), op.i32Eqz, op.select],
          get(term!), constant(15), op.i32And, constant(1), op.i32Shl, op.i32Shl, op.i32Or, op.i32Store(),
        ),
        increment(tap!, constant(1)),
      ),
      increment(channel!, constant(2)),
    ),
    increment(row!, constant(1)),
  )];
  return { name: 'pairedCodes', params: new Array(4).fill(I32), locals: locals.types, body };
}

/** The functions' names, as the module exports them. */
export const OFFSET_LIST_FUNCTIONS = ['signedOffsets', 'signedShortOffsets', 'signedCounts', 'pairedCodes'] as const;

/** The module exporting OFFSET_LIST_FUNCTIONS, importing `env.memory` as the kernels do. */
export function offsetListModule(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const functions = [signedOffsetsFunction(4), signedOffsetsFunction(2), signedCountsFunction(), pairedCodesFunction()];
  return encodeModule(functions, memory);
}
