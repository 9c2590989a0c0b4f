import { encodeModule, I32, op, V128, type Code } from './encode.js';

/** Output lanes one kernel block sums: two f32x4 accumulators, the same eight lanes as the JavaScript path's block. */
export const WASM_BLOCK_LANES = 8;

// Parameters, then locals, by index.
const COL = 0, ROW_BYTES = 1, INDICES = 2, BOUNDS = 3, CHANNELS = 4, BLOCKS = 5, SUMS = 6;
const CHANNEL = 7, BLOCK = 8, CURSOR = 9, PLUS_END = 10, END = 11, BLOCK_BASE = 12, ADDRESS = 13, CHANNEL_BOUNDS = 14;
const LOW = 15, HIGH = 16;

const { localGet: get, localSet: set, localTee: tee, i32Const: int } = op;

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
 * Addresses are bytes; `channels` and `blocks` are at least 1.
 */
const TILE_BODY: Code = [
  int(0), set(CHANNEL),
  op.loop(
    get(BOUNDS), get(CHANNEL), int(8), op.i32Mul, op.i32Add, set(CHANNEL_BOUNDS),
    indexAddress(1), set(PLUS_END),
    indexAddress(2), set(END),
    int(0), set(BLOCK),
    op.loop(
      get(COL), get(BLOCK), int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add, set(BLOCK_BASE),
      op.v128Zero, set(LOW), op.v128Zero, set(HIGH),
      indexAddress(0), set(CURSOR),
      accumulate(PLUS_END, op.f32x4Add),
      accumulate(END, op.f32x4Sub),
      get(SUMS), get(CHANNEL), get(BLOCKS), op.i32Mul, get(BLOCK), op.i32Add, int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add,
      tee(ADDRESS), get(LOW), op.v128Store(0),
      get(ADDRESS), get(HIGH), op.v128Store(16),
      get(BLOCK), int(1), op.i32Add, tee(BLOCK), get(BLOCKS), op.i32LtU, op.brIf(0),
    ),
    get(CHANNEL), int(1), op.i32Add, tee(CHANNEL), get(CHANNELS), op.i32LtU, op.brIf(0),
  ),
];

export const TERNARY_TILE_MODULE = encodeModule([
  {
    name: 'tile',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, V128, V128],
    body: TILE_BODY,
  },
]);

export type TernaryTileFunction = (
  col: number,
  rowBytes: number,
  indices: number,
  bounds: number,
  channels: number,
  blocks: number,
  sums: number,
) => void;
