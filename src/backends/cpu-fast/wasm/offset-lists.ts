/**
 * A ternary conv2d weight's offset lists, written by WebAssembly. A cold start writes millions of entries (ResNet-18
 * 224: 6.7 M), and a JavaScript loop over them runs most of that in the engine's unoptimised tiers (its optimised
 * code arrives while it runs, fresh in every worker), where compiled WebAssembly runs at speed from the first call.
 */
import { increment, lessThan, Locals, whileLoop } from './builder.js';
import { encodeModule, I32, op, type Code, type MemoryImport } from './encode.js';

const { localGet: get, localSet: set, i32Const: constant } = op;

/** Parameters of `signedOffsets`, all i32 byte addresses or counts. */
const [WORDS, ROW_WORDS, ROWS, STARTS, MAP, OUT] = [0, 1, 2, 3, 4, 5];
const PARAMS = 6;
/** The low bit of every 2-bit code in a word (ternary-pack.ts). */
const LOW_BITS = 0x55555555;

/**
 * `signedOffsets(words, rowWords, rows, starts, map, out)`: for each row o of `rows` (`rowWords` packed words each,
 * from `words`), map[k] (i32 at map + 4k) for every k of its +1 codes, ascending, from out + 4·starts[2o] on, and for
 * every k of its −1 codes from out + 4·starts[2o + 1] on: ternarySignedIndices' lists, each index k mapped. The codes
 * must be valid (no code 3), as ternarySignedStarts checks.
 */
function signedOffsetsFunction() {
  const locals = new Locals(PARAMS);
  const [row, word, base, end, bits, plus, minus] = [0, 0, 0, 0, 0, 0, 0].map(() => locals.i32()) as number[];
  const startAt = (sign: number): Code => [get(OUT), get(STARTS), get(row!), constant(3), op.i32Shl, op.i32Add,
    op.i32Load(4 * sign), constant(2), op.i32Shl, op.i32Add];
  // For each set bit of `bits` (a code's low bit), lowest first: map[base + bit / 2] at `cursor`, which moves on.
  const writeEach = (cursor: number): Code =>
    whileLoop(
      get(bits!),
      get(cursor),
      [get(MAP), get(base!), get(bits!), op.i32Ctz, constant(1), op.i32ShrU, op.i32Add, constant(2), op.i32Shl,
        op.i32Add, op.i32Load()],
      op.i32Store(),
      increment(cursor, constant(4)),
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
  return { name: 'signedOffsets', params: new Array(PARAMS).fill(I32), locals: locals.types, body };
}

export type SignedOffsets = (
  words: number, rowWords: number, rows: number, starts: number, map: number, out: number,
) => void;

/** The module exporting `signedOffsets`, importing `env.memory` as the kernels do. */
export function offsetListModule(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return encodeModule([signedOffsetsFunction()], memory);
}
