import { encodeModule, I32, op, V128, type Code } from './encode.js';
import { WASM_BLOCK_LANES } from './ternary-tile.js';

// Parameters, then locals, by index.
const COL = 0, ROW_BYTES = 1, WEIGHTS = 2, ROW_LENGTH = 3, CHANNELS = 4, BLOCKS = 5, SUMS = 6;
const CHANNEL = 7, BLOCK = 8, CURSOR = 9, ROW_START = 10, ROW_END = 11, ADDRESS = 12, LOW = 13, HIGH = 14, WEIGHT = 15;

const { localGet: get, localSet: set, localTee: tee, i32Const: int } = op;

/**
 * floatTile(col, rowBytes, weights, rowLength, channels, blocks, sums): for full-precision rows (a net's float
 * first/last layers, full-precision baselines), sums[(o·blocks + b)·8 + r] = Σₖ w[o·rowLength + k]·col[k·width + 8b + r],
 * float32 weights at `weights`. A separate module from the ternary kernel, which stays free of multiplies.
 */
const FLOAT_TILE_BODY: Code = [
  int(0), set(CHANNEL),
  op.loop(
    get(WEIGHTS), get(CHANNEL), get(ROW_LENGTH), op.i32Mul, int(2), op.i32Shl, op.i32Add, tee(ROW_START),
    get(ROW_LENGTH), int(2), op.i32Shl, op.i32Add, set(ROW_END),
    int(0), set(BLOCK),
    op.loop(
      get(COL), get(BLOCK), int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add, set(ADDRESS),
      op.v128Zero, set(LOW), op.v128Zero, set(HIGH),
      get(ROW_START), set(CURSOR),
      op.loop(
        get(CURSOR), op.f32Load(), op.f32x4Splat, set(WEIGHT),
        get(LOW), get(WEIGHT), get(ADDRESS), op.v128Load(0), op.f32x4Mul, op.f32x4Add, set(LOW),
        get(HIGH), get(WEIGHT), get(ADDRESS), op.v128Load(16), op.f32x4Mul, op.f32x4Add, set(HIGH),
        get(ADDRESS), get(ROW_BYTES), op.i32Add, set(ADDRESS),
        get(CURSOR), int(4), op.i32Add, tee(CURSOR), get(ROW_END), op.i32LtU, op.brIf(0),
      ),
      get(SUMS), get(CHANNEL), get(BLOCKS), op.i32Mul, get(BLOCK), op.i32Add, int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add,
      tee(ADDRESS), get(LOW), op.v128Store(0),
      get(ADDRESS), get(HIGH), op.v128Store(16),
      get(BLOCK), int(1), op.i32Add, tee(BLOCK), get(BLOCKS), op.i32LtU, op.brIf(0),
    ),
    get(CHANNEL), int(1), op.i32Add, tee(CHANNEL), get(CHANNELS), op.i32LtU, op.brIf(0),
  ),
];

export const FLOAT_TILE_MODULE = encodeModule([
  {
    name: 'floatTile',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, V128, V128, V128],
    body: FLOAT_TILE_BODY,
  },
]);

export type FloatTileFunction = (
  col: number,
  rowBytes: number,
  weights: number,
  rowLength: number,
  channels: number,
  blocks: number,
  sums: number,
) => void;
