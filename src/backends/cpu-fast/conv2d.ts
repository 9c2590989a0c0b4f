import { conv2dAttrs } from '../../ops/conv2d.js';
import { BLOCK_LANES } from './weight-rows.js';
import { shapeOf, type FastOp } from './kernel.js';
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
 * conv2d as tiles of im2col: for `width` output pixels at a time, tile row k = (c·kh + i)·kw + j holds the input
 * each pixel reads through weight k (zero where the window hangs over the padding, so the sums need no bounds
 * checks). Every output channel then adds the tile rows of its +1 weights and subtracts those of its −1 weights.
 */
export const fastConv2d: FastOp = (node, graph, arena) => {
  const { kernel, stride, padding, activation } = conv2dAttrs(node);
  const layer = new LinearLayer(node, graph.tensors, activation === 'relu', arena);
  const [kernelH, kernelW] = kernel;
  return (step) => {
    const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
    const [, outChannels, outHeight, outWidth] = shapeOf(step.outputShapes, 0) as [number, number, number, number];
    const pixels = outHeight * outWidth;
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
          const y = Math.floor(p / outWidth) * stride[0] - padding[0] + i;
          const x = (p % outWidth) * stride[1] - padding[1] + j;
          source[(i * kernelW + j) * pixels + p] = y >= 0 && y < height && x >= 0 && x < width ? y * width + x : -1;
        }
      }
    }
    const target: TileTarget = { output: new Float32Array(0), residual: undefined, base: 0, channelStride: pixels, laneStride: 1 };
    return {
      scratchSize: rowLength * lanes + layer.sumsSize(lanes),
      run({ inputs, output }, scratch) {
        const input = inputs[0]!;
        const sums = scratch.subarray(rowLength * lanes, rowLength * lanes + layer.sumsSize(lanes));
        target.output = output;
        target.residual = inputs[1];
        for (let n = 0; n < batch; n++) {
          const imageBase = n * channels * height * width;
          for (let first = 0; first < pixels; first += lanes) {
            const count = Math.min(lanes, pixels - first);
            for (let c = 0; c < channels; c++) {
              const plane = imageBase + c * height * width;
              for (let tap = 0; tap < taps; tap++) {
                const row = (c * taps + tap) * lanes;
                const from = tap * pixels + first;
                for (let t = 0; t < count; t++) {
                  const at = source[from + t]!;
                  scratch[row + t] = at < 0 ? 0 : input[plane + at]!;
                }
              }
            }
            target.base = n * outChannels * pixels + first;
            layer.runTile(rows, scratch, count, target, sums);
          }
        }
      },
    };
  };
};
