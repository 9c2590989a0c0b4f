import { encodeModule, I32, op, V128, type Code, type FunctionSpec } from './encode.js';

/** Output lanes one kernel block sums: two f32x4 accumulators, the same eight lanes as the JavaScript path's block. */
export const WASM_BLOCK_LANES = 8;

/**
 * The layout every tile kernel shares: `name(col, rowBytes, weights, rowInfo, channels, blocks, sums)` (parameters
 * 0–6; what `weights` and `rowInfo` hold is the kernel's), then locals from 7 on, the first seven of them these.
 * Addresses are bytes; `channels` and `blocks` are at least 1.
 */
export const TILE = {
  COL: 0, ROW_BYTES: 1, WEIGHTS: 2, ROW_INFO: 3, CHANNELS: 4, BLOCKS: 5, SUMS: 6,
  CHANNEL: 7, BLOCK: 8, BLOCK_BASE: 9, ADDRESS: 10, CURSOR: 11, LOW: 12, HIGH: 13,
  /** The first local a kernel may use for itself. */
  FIRST_FREE: 14,
} as const;

const { localGet: get, localSet: set, localTee: tee, i32Const: int } = op;

/**
 * The loops around a kernel: for each output channel (`perChannel` first), for each 8-lane block, LOW = HIGH = 0 and
 * BLOCK_BASE = col + block·32, then `perBlock` sums into LOW/HIGH, stored to sums[(channel·blocks + block)·8 …].
 */
function overChannelsAndBlocks(perChannel: Code, perBlock: Code): Code {
  const { COL, CHANNELS, BLOCKS, SUMS, CHANNEL, BLOCK, BLOCK_BASE, ADDRESS, LOW, HIGH } = TILE;
  return [
    int(0), set(CHANNEL),
    op.loop(
      perChannel,
      int(0), set(BLOCK),
      op.loop(
        get(COL), get(BLOCK), int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add, set(BLOCK_BASE),
        op.v128Zero, set(LOW), op.v128Zero, set(HIGH),
        perBlock,
        get(SUMS), get(CHANNEL), get(BLOCKS), op.i32Mul, get(BLOCK), op.i32Add, int(4 * WASM_BLOCK_LANES), op.i32Mul, op.i32Add,
        tee(ADDRESS), get(LOW), op.v128Store(0),
        get(ADDRESS), get(HIGH), op.v128Store(16),
        get(BLOCK), int(1), op.i32Add, tee(BLOCK), get(BLOCKS), op.i32LtU, op.brIf(0),
      ),
      get(CHANNEL), int(1), op.i32Add, tee(CHANNEL), get(CHANNELS), op.i32LtU, op.brIf(0),
    ),
  ];
}

/** A one-function module for a tile kernel; `extraLocals` follow the shared ones (indices from FIRST_FREE). */
export function tileKernelModule(
  name: string,
  extraLocals: FunctionSpec['locals'],
  perChannel: Code,
  perBlock: Code,
): Uint8Array<ArrayBuffer> {
  return encodeModule([
    {
      name,
      params: [I32, I32, I32, I32, I32, I32, I32],
      locals: [I32, I32, I32, I32, I32, V128, V128, ...extraLocals],
      body: overChannelsAndBlocks(perChannel, perBlock),
    },
  ]);
}
