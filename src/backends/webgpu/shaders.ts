import conv2dBody from '../../../shaders/conv2d.wgsl?raw';
import conv2dFloat from '../../../shaders/conv2d-float.wgsl?raw';
import conv2dGather from '../../../shaders/conv2d-gather.wgsl?raw';
import conv2dStaged from '../../../shaders/conv2d-staged.wgsl?raw';
import conv2dTernary from '../../../shaders/conv2d-ternary.wgsl?raw';
import conv2dTernaryStaged from '../../../shaders/conv2d-ternary-staged.wgsl?raw';
import denseBody from '../../../shaders/dense.wgsl?raw';
import denseFloat from '../../../shaders/dense-float.wgsl?raw';
import denseTernary from '../../../shaders/dense-ternary.wgsl?raw';
import elementwise from '../../../shaders/elementwise.wgsl?raw';
import grid from '../../../shaders/grid.wgsl?raw';
import linear from '../../../shaders/linear.wgsl?raw';
import pool from '../../../shaders/pool.wgsl?raw';
import softmax from '../../../shaders/softmax.wgsl?raw';
import ternaryMasks from '../../../shaders/ternary-masks.wgsl?raw';
import { INVOCATIONS_PER_WORKGROUP, type ShaderSource } from './kernel.js';
import { CONV_TILES, type ConvVariant, type GemvSlices } from './kernel-policy.js';
import { unrollMarkedLoops } from './unroll.js';

/**
 * A shader's parts, then the launch grid every shader shares: the workgroup size (from INVOCATIONS_PER_WORKGROUP, so
 * host and shaders cannot disagree) and the unfolding of 2D-folded grids. Appended rather than prepended, so the line
 * numbers of a compiler message still match the shader's own file.
 */
function withGrid(...parts: string[]): string {
  return [...parts, `const INVOCATIONS = ${INVOCATIONS_PER_WORKGROUP}u;`, grid].join('\n');
}

/**
 * The tiled convolution for one variant (src/backends/webgpu/kernel-policy.ts): its tile, and whether K chunks are
 * staged in workgroup memory. Ternary and float layers differ only in the weight decode step; float layers stage
 * their inputs only (their weights are read once per invocation either way).
 */
export function convShader(weights: 'ternary' | 'float', variant: ConvVariant): ShaderSource {
  const tile = CONV_TILES[variant.tile];
  const constants = {
    THREADS_ALONG_CHANNELS: tile.threadsAlongChannels,
    CHANNELS_PER_THREAD: tile.channelsPerThread,
    CHANNEL_GROUPS: tile.channelsPerThread / 4,
    THREADS_ALONG_POSITIONS: tile.threadsAlongPositions,
    POSITION_VECTORS: tile.positionVectors,
    POSITIONS_PER_THREAD: 4 * tile.positionVectors,
    TILE_VECTORS: tile.channelsPerThread * tile.positionVectors,
  };
  const inputs = variant.staged ? conv2dStaged : conv2dGather;
  const ternary = variant.staged ? conv2dTernaryStaged : conv2dTernary;
  const decode = weights === 'ternary' ? [ternary, ternaryMasks] : [conv2dFloat];
  const code = withGrid(conv2dBody, linear, inputs, ...decode, declareConstants(constants));
  const key = `conv2d-${weights}-${variant.tile}${variant.staged ? '-staged' : ''}`;
  return { key, code: unrollMarkedLoops(code, constants), entryPoint: 'main' };
}

/**
 * The GEMV's workgroup (shaders/dense.wgsl): `slices` invocations split each row's K (kernel-policy.ts chooses how
 * many per device), each holding ROWS_PER_THREAD rows × GEMV_SAMPLES samples in registers. Measured on SwiftShader
 * for VGG-7 fc1 (bench:layers, process CPU time): 4 rows × 2 samples over 16 slices took 0.5–0.6× the time of the
 * previous kernel (1 row × 4 samples over 8 slices) at batch 1 and 0.85–1.15× at batch 8. 8 rows were 10% faster
 * still, but their pipeline took 0.5 s of CPU to create against 0.25 s, which LeNet-5's cold start pays; 1 sample
 * lost 1.5× at batch 8 (each weight decoded per sample), 4 samples lost 1.5× at batch 1 (a lone sample computed four
 * times).
 */
const ROWS_PER_THREAD = 4;
/** Samples per GEMV workgroup. */
export const GEMV_SAMPLES = 2;

/** Output rows per GEMV workgroup. */
export function gemvRows(slices: GemvSlices): number {
  return (INVOCATIONS_PER_WORKGROUP / slices) * ROWS_PER_THREAD;
}

export function denseShader(weights: 'ternary' | 'float', slices: GemvSlices): ShaderSource {
  const constants = { ROWS_PER_THREAD, K_SLICES: slices, GEMV_SAMPLES, ACCUMULATORS: ROWS_PER_THREAD * GEMV_SAMPLES };
  const decode = weights === 'ternary' ? [denseTernary, ternaryMasks] : [denseFloat];
  const code = withGrid(denseBody, linear, ...decode, declareConstants(constants));
  return { key: `dense-${weights}-k${slices}`, code: unrollMarkedLoops(code, constants), entryPoint: 'main' };
}

function declareConstants(constants: Readonly<Record<string, number>>): string {
  return Object.entries(constants).map(([name, value]) => `const ${name} = ${value}u;`).join('\n');
}

export const POOL_SHADER: ShaderSource = { key: 'pool', code: withGrid(pool), entryPoint: 'main' };
export const SOFTMAX_SHADER: ShaderSource = { key: 'softmax', code: withGrid(softmax), entryPoint: 'main' };

const ELEMENTWISE_CODE = withGrid(elementwise);

export function elementwiseShader(entryPoint: 'relu' | 'add' | 'channel_affine'): ShaderSource {
  return { key: 'elementwise', code: ELEMENTWISE_CODE, entryPoint };
}
