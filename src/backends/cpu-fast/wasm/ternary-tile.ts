import { I32, op, type Code } from './encode.js';
import { TILE, tileKernelModule } from './tile-loops.js';

const { ROW_BYTES, WEIGHTS: INDICES, ROW_INFO: BOUNDS, CHANNEL, BLOCK_BASE, ADDRESS, CURSOR, LOW, HIGH } = TILE;
const PLUS_END = TILE.FIRST_FREE, END = TILE.FIRST_FREE + 1, CHANNEL_BOUNDS = TILE.FIRST_FREE + 2;

const { localGet: get, localSet: set, i32Const: int } = op;

/** Address of the index at position `bounds[channel·2 + slot]` of the index list. */
const indexAddress = (slot: number): Code => [get(INDICES), get(CHANNEL_BOUNDS), op.i32Load(4 * slot), int(2), op.i32Shl, op.i32Add];

/** For each listed k until END_LOCAL: LOW/HIGH ±= the eight tile floats at col + k·rowBytes + block·32. */
const accumulate = (endLocal: number, combine: Code): Code =>
  op.block(
    op.loop(
      get(CURSOR), get(endLocal), op.i32GeU, op.brIf(1),
      get(BLOCK_BASE), get(CURSOR), op.i32Load(), get(ROW_BYTES), op.i32Mul, op.i32Add, set(ADDRESS),
      get(LOW), get(ADDRESS), op.v128Load(0), combine, set(LOW),
      get(HIGH), get(ADDRESS), op.v128Load(16), combine, set(HIGH),
      get(CURSOR), int(4), op.i32Add, set(CURSOR),
      op.br(0),
    ),
  );

/**
 * tile(col, rowBytes, indices, bounds, channels, blocks, sums): for every output channel o and lane block b,
 * sums[(o·blocks + b)·8 + r] = Σ₊ col[k·width + 8b + r] − Σ₋ col[…], the same index lists as the JavaScript path
 * (k of each +1 weight, then of each −1 weight; channel o's at [bounds[2o], bounds[2o+1]) and [bounds[2o+1],
 * bounds[2o+2])). Only additions and subtractions; float32 accumulators, like the WebGPU kernels.
 */
export const TERNARY_TILE_MODULE = tileKernelModule(
  'tile',
  [I32, I32, I32],
  [get(BOUNDS), get(CHANNEL), int(8), op.i32Mul, op.i32Add, set(CHANNEL_BOUNDS), indexAddress(1), set(PLUS_END), indexAddress(2), set(END)],
  [indexAddress(0), set(CURSOR), accumulate(PLUS_END, op.f32x4Add), accumulate(END, op.f32x4Sub)],
);

export type TernaryTileFunction = (
  col: number,
  rowBytes: number,
  indices: number,
  bounds: number,
  channels: number,
  blocks: number,
  sums: number,
) => void;
