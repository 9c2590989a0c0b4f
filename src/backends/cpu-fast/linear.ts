import type { GraphNode, Tensor } from '../../graph/ir.js';
import { f32Param } from '../../ops/params.js';
import type { WasmArena } from './wasm/arena.js';
import { BLOCK_LANES, weightRows, type TileRows, type WeightRows } from './weight-rows.js';

/** Where a tile's outputs go: lane `l` of channel `o` is `output[base + o·channelStride + l·laneStride]`. */
export interface TileTarget {
  output: Float32Array;
  /** The fused residual, indexed like `output`. */
  residual: Float32Array | undefined;
  base: number;
  channelStride: number;
  laneStride: number;
}

/**
 * A conv2d/dense layer compiled once: its weight rows and the per-channel epilogue
 * `act(multiplier[o]·sum + bias[o] + residual)` with multiplier = alpha·scale, the only multiply per output.
 */
export class LinearLayer {
  readonly rows: WeightRows;
  private readonly multiplier: Float64Array;
  private readonly bias: Float64Array;
  /** Reused by every tile, so running allocates nothing. */
  private readonly sums = new Float64Array(BLOCK_LANES);

  constructor(
    node: GraphNode,
    tensors: ReadonlyMap<string, Tensor>,
    private readonly relu: boolean,
    arena: WasmArena | undefined,
  ) {
    const weight = tensors.get(node.params.weight ?? '');
    if (weight === undefined) throw new Error(`node "${node.name}" has no weight tensor`);
    this.rows = weightRows(weight, arena);
    const outChannels = this.rows.outChannels;
    const alpha = f32Param(node, tensors, 'alpha');
    const scale = f32Param(node, tensors, 'scale');
    const bias = f32Param(node, tensors, 'bias');
    this.multiplier = new Float64Array(outChannels);
    this.bias = new Float64Array(outChannels);
    for (let o = 0; o < outChannels; o++) {
      const channelAlpha = alpha === undefined ? 1 : alpha.length === 1 ? alpha[0]! : alpha[o]!;
      this.multiplier[o] = channelAlpha * (scale?.[o] ?? 1);
      this.bias[o] = bias?.[o] ?? 0;
    }
  }

  /** Floats of scratch `runTile` needs for its kernel sums, after the tile itself. */
  sumsSize(lanes: number): number {
    return this.rows.outChannels * lanes;
  }

  /**
   * Every output channel over the first `lanes` lanes of a tile: blocks of eight, then the leftover lanes one by one.
   * The blocks run as one WebAssembly call into `kernelSums` (sumsSize floats) where the rows allow it.
   */
  runTile(rows: TileRows, col: Float32Array, lanes: number, target: TileTarget, kernelSums: Float32Array): void {
    const { sums, multiplier, bias } = this;
    const blocked = lanes - (lanes % BLOCK_LANES);
    const inKernel = blocked > 0 && rows.tile(col, blocked, kernelSums);
    for (let o = 0; o < this.rows.outChannels; o++) {
      const channelBase = target.base + o * target.channelStride;
      const m = multiplier[o]!;
      const b = bias[o]!;
      if (inKernel) {
        const row = o * blocked;
        for (let lane = 0; lane < blocked; lane++) this.store(target, channelBase + lane * target.laneStride, m * kernelSums[row + lane]! + b);
      } else {
        for (let lane0 = 0; lane0 < blocked; lane0 += BLOCK_LANES) {
          rows.block(col, o, lane0, sums);
          for (let r = 0; r < BLOCK_LANES; r++) this.store(target, channelBase + (lane0 + r) * target.laneStride, m * sums[r]! + b);
        }
      }
      for (let lane = blocked; lane < lanes; lane++) {
        this.store(target, channelBase + lane * target.laneStride, m * rows.lane(col, o, lane) + b);
      }
    }
  }

  private store(target: TileTarget, at: number, value: number): void {
    const sum = target.residual === undefined ? value : value + target.residual[at]!;
    target.output[at] = this.relu && sum < 0 ? 0 : sum;
  }
}
