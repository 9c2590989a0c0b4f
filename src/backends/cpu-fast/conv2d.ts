import { conv2dAttrs } from '../../ops/conv2d.js';
import type { WindowGeometry } from '../../ops/window.js';
import { BLOCK_LANES } from './weight-rows.js';
import { shapeOf, type BoundStep, type FastOp } from './kernel.js';
import { LinearLayer, type TileTarget } from './linear.js';

/**
 * Floats one im2col tile may hold (K rows of `width` output pixels): 64 KiB, so every output channel re-reads it from
 * cache. Measured on VGG-7 and ResNet-18: 2^12…2^16 run alike, 2^18 is 20–60% slower.
 */
const TILE_FLOATS = 1 << 14;

/** Lanes per tile: a multiple of the block, at most one image's pixels (rounded up), within TILE_FLOATS. */
function tileWidth(rowLength: number, pixels: number): number {
  const fits = Math.floor(TILE_FLOATS / rowLength / BLOCK_LANES) * BLOCK_LANES;
  const whole = Math.ceil(pixels / BLOCK_LANES) * BLOCK_LANES;
  return Math.min(whole, Math.max(BLOCK_LANES, fits));
}

/**
 * conv2d, two ways. Stride 1 (most layers of these nets): the input is copied once into a zero-padded plane per
 * channel and every weight reads it in place (WeightRows.forPaddedInput), one output row at a time. Otherwise, or for
 * float weights, as tiles of im2col: for `width` output pixels at a time, tile row k = (c·kh + i)·kw + j holds the
 * input each pixel reads through weight k (zero in the padding). Either way the sums need no bounds checks, and each
 * output channel adds the values of its +1 weights and subtracts those of its −1 weights.
 */
export const fastConv2d: FastOp = (node, graph) => {
  const attrs = conv2dAttrs(node);
  const layer = new LinearLayer(node, graph.tensors, attrs.activation === 'relu');
  return (step) => {
    const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
    const [, outChannels, outHeight, outWidth] = shapeOf(step.outputShapes, 0) as [number, number, number, number];
    const geometry: Geometry = { batch, channels, height, width, outChannels, outHeight, outWidth, ...attrs };
    // In place only when output rows split into whole 8-lane blocks: otherwise im2col tiles, which span rows, keep
    // every lane in a block (ResNet-18's 4×4 and 7×7 maps).
    const inPlace =
      attrs.stride[0] === 1 && attrs.stride[1] === 1 && outWidth % BLOCK_LANES === 0 ? paddedInputConv(layer, geometry) : undefined;
    return inPlace ?? im2colConv(layer, geometry);
  };
};

interface Geometry extends WindowGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly outChannels: number;
}

function paddedInputConv(layer: LinearLayer, g: Geometry): BoundStep | undefined {
  const paddedWidth = g.width + 2 * g.padding[1];
  const plane = (g.height + 2 * g.padding[0]) * paddedWidth;
  const rows = layer.rows.forPaddedInput(plane, paddedWidth);
  if (rows === undefined) return undefined;
  const pixels = g.outHeight * g.outWidth;
  const paddedSize = g.channels * plane;
  const target: TileTarget = { output: new Float32Array(0), residual: undefined, base: 0, channelStride: pixels, laneStride: 1 };
  return {
    scratchSize: paddedSize,
    run({ inputs, output }, scratch) {
      const input = inputs[0]!;
      const padded = scratch.subarray(0, paddedSize);
      target.output = output;
      target.residual = inputs[1];
      padded.fill(0); // the border; the interior is overwritten for every image
      for (let n = 0; n < g.batch; n++) {
        let from = n * g.channels * g.height * g.width;
        for (let c = 0; c < g.channels; c++) {
          for (let y = 0; y < g.height; y++) {
            let to = c * plane + (y + g.padding[0]) * paddedWidth + g.padding[1];
            for (let x = 0; x < g.width; x++) padded[to++] = input[from++]!;
          }
        }
        for (let y = 0; y < g.outHeight; y++) {
          target.base = n * g.outChannels * pixels + y * g.outWidth;
          layer.runTile(rows, padded.subarray(y * paddedWidth), g.outWidth, target);
        }
      }
    },
  };
}

function im2colConv(layer: LinearLayer, g: Geometry): BoundStep {
  const [kernelH, kernelW] = g.kernel;
  const pixels = g.outHeight * g.outWidth;
  const rowLength = layer.rows.rowLength;
  const lanes = tileWidth(rowLength, pixels);
  const rows = layer.rows.forWidth(lanes);
  const taps = kernelH * kernelW;
  // Where tap (i, j) of output pixel p reads in a channel plane, at [(i·kw + j)·pixels + p], or −1 in the padding:
  // the same for every channel and image, so building a tile is one lookup per value, with no index arithmetic.
  const source = new Int32Array(taps * pixels);
  for (let i = 0; i < kernelH; i++) {
    for (let j = 0; j < kernelW; j++) {
      for (let p = 0; p < pixels; p++) {
        const y = Math.floor(p / g.outWidth) * g.stride[0] - g.padding[0] + i;
        const x = (p % g.outWidth) * g.stride[1] - g.padding[1] + j;
        source[(i * kernelW + j) * pixels + p] = y >= 0 && y < g.height && x >= 0 && x < g.width ? y * g.width + x : -1;
      }
    }
  }
  const target: TileTarget = { output: new Float32Array(0), residual: undefined, base: 0, channelStride: pixels, laneStride: 1 };
  return {
    scratchSize: rowLength * lanes,
    run({ inputs, output }, scratch) {
      const input = inputs[0]!;
      target.output = output;
      target.residual = inputs[1];
      for (let n = 0; n < g.batch; n++) {
        const imageBase = n * g.channels * g.height * g.width;
        for (let first = 0; first < pixels; first += lanes) {
          const count = Math.min(lanes, pixels - first);
          for (let c = 0; c < g.channels; c++) {
            const plane = imageBase + c * g.height * g.width;
            for (let tap = 0; tap < taps; tap++) {
              const row = (c * taps + tap) * lanes;
              const from = tap * pixels + first;
              for (let t = 0; t < count; t++) {
                const at = source[from + t]!;
                scratch[row + t] = at < 0 ? 0 : input[plane + at]!;
              }
            }
          }
          target.base = n * g.outChannels * pixels + first;
          layer.runTile(rows, scratch, count, target);
        }
      }
    },
  };
}
