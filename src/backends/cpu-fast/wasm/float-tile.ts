import { I32, op, V128 } from './encode.js';
import { TILE, tileKernelModule } from './tile-loops.js';

const { ROW_BYTES, WEIGHTS, ROW_INFO: ROW_LENGTH, CHANNEL, BLOCK_BASE, ADDRESS, CURSOR, LOW, HIGH } = TILE;
const ROW_START = TILE.FIRST_FREE, ROW_END = TILE.FIRST_FREE + 1, WEIGHT = TILE.FIRST_FREE + 2;

const { localGet: get, localSet: set, localTee: tee, i32Const: int } = op;

/**
 * floatTile(col, rowBytes, weights, rowLength, channels, blocks, sums): for full-precision rows (a net's float
 * first/last layers, full-precision baselines), sums[(o·blocks + b)·8 + r] = Σₖ w[o·rowLength + k]·col[k·width + 8b + r],
 * float32 weights at `weights`. A separate module from the ternary kernel, which stays free of multiplies.
 */
export const FLOAT_TILE_MODULE = tileKernelModule(
  'floatTile',
  [I32, I32, V128],
  [
    get(WEIGHTS), get(CHANNEL), get(ROW_LENGTH), op.i32Mul, int(2), op.i32Shl, op.i32Add, tee(ROW_START),
    get(ROW_LENGTH), int(2), op.i32Shl, op.i32Add, set(ROW_END),
  ],
  [
    get(ROW_START), set(CURSOR),
    get(BLOCK_BASE), set(ADDRESS),
    op.loop(
      get(CURSOR), op.f32Load(), op.f32x4Splat, set(WEIGHT),
      get(LOW), get(WEIGHT), get(ADDRESS), op.v128Load(0), op.f32x4Mul, op.f32x4Add, set(LOW),
      get(HIGH), get(WEIGHT), get(ADDRESS), op.v128Load(16), op.f32x4Mul, op.f32x4Add, set(HIGH),
      get(ADDRESS), get(ROW_BYTES), op.i32Add, set(ADDRESS),
      get(CURSOR), int(4), op.i32Add, tee(CURSOR), get(ROW_END), op.i32LtU, op.brIf(0),
    ),
  ],
);

export type FloatTileFunction = (
  col: number,
  rowBytes: number,
  weights: number,
  rowLength: number,
  channels: number,
  blocks: number,
  sums: number,
) => void;
