import type { GraphNode, Tensor } from '../../graph/ir.js';
import { f32Param } from '../../ops/params.js';
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

/** Per output channel: multiplier = α·scale (the only multiply per output) and the bias. */
export function epilogueConstants(
  node: GraphNode,
  tensors: ReadonlyMap<string, Tensor>,
  outChannels: number,
): { multiplier: Float64Array; bias: Float64Array } {
  const alpha = f32Param(node, tensors, 'alpha');
  const scale = f32Param(node, tensors, 'scale');
  const bias = f32Param(node, tensors, 'bias');
  const constants = { multiplier: new Float64Array(outChannels), bias: new Float64Array(outChannels) };
  for (let o = 0; o < outChannels; o++) {
    const channelAlpha = alpha === undefined ? 1 : alpha.length === 1 ? alpha[0]! : alpha[o]!;
    constants.multiplier[o] = channelAlpha * (scale?.[o] ?? 1);
    constants.bias[o] = bias?.[o] ?? 0;
  }
  return constants;
}

/**
 * A conv2d/dense layer compiled once for the JavaScript kernels: its weight rows and the per-channel epilogue
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
  ) {
    const weight = tensors.get(node.params.weight ?? '');
    if (weight === undefined) throw new Error(`node "${node.name}" has no weight tensor`);
    this.rows = weightRows(weight);
    ({ multiplier: this.multiplier, bias: this.bias } = epilogueConstants(node, tensors, this.rows.outChannels));
  }

  /** Every output channel over the first `lanes` lanes of a tile: blocks of eight, then the leftover lanes one by one. */
  runTile(rows: TileRows, col: Float32Array, lanes: number, target: TileTarget): void {
    const { sums, multiplier, bias } = this;
    const blocked = lanes - (lanes % BLOCK_LANES);
    for (let o = 0; o < this.rows.outChannels; o++) {
      const channelBase = target.base + o * target.channelStride;
      const m = multiplier[o]!;
      const b = bias[o]!;
      for (let lane0 = 0; lane0 < blocked; lane0 += BLOCK_LANES) {
        rows.block(col, o, lane0, sums);
        for (let r = 0; r < BLOCK_LANES; r++) this.store(target, channelBase + (lane0 + r) * target.laneStride, m * sums[r]! + b);
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
