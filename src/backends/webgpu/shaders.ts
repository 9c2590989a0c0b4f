import conv2dBody from '../../../shaders/conv2d.wgsl?raw';
import conv2dFloat from '../../../shaders/conv2d-float.wgsl?raw';
import conv2dTernary from '../../../shaders/conv2d-ternary.wgsl?raw';
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
 * How the tiled convolution (shaders/conv2d.wgsl) divides a workgroup's output tile: its invocations form a
 * threadsAlongChannels × threadsAlongPositions grid (their product is INVOCATIONS_PER_WORKGROUP), each holding
 * channelsPerThread (a multiple of 4) × 4·positionVectors outputs in registers.
 */
export interface ConvTile {
  readonly threadsAlongChannels: number;
  readonly channelsPerThread: number;
  readonly threadsAlongPositions: number;
  readonly positionVectors: number;
}

/** The tiled convolution for one tile shape; ternary and float layers differ only in the weight decode step. */
export function convShader(weights: 'ternary' | 'float', tile: ConvTile): ShaderSource {
  const { threadsAlongChannels, channelsPerThread, threadsAlongPositions, positionVectors } = tile;
  const name = `${threadsAlongChannels}x${channelsPerThread}-${threadsAlongPositions}x${positionVectors}`;
  const constants = {
    THREADS_ALONG_CHANNELS: tile.threadsAlongChannels,
    CHANNELS_PER_THREAD: tile.channelsPerThread,
    CHANNEL_GROUPS: tile.channelsPerThread / 4,
    THREADS_ALONG_POSITIONS: tile.threadsAlongPositions,
    POSITION_VECTORS: tile.positionVectors,
    POSITIONS_PER_THREAD: 4 * tile.positionVectors,
    TILE_VECTORS: tile.channelsPerThread * tile.positionVectors,
  };
  const decode = weights === 'ternary' ? [conv2dTernary, ternaryMasks] : [conv2dFloat];
  const code = withGrid(conv2dBody, linear, ...decode, declareConstants(constants));
  return { key: `conv2d-${weights}-${name}`, code: unrollMarkedLoops(code, constants), entryPoint: 'main' };
}

// Must match GEMV_SAMPLES in shaders/dense.wgsl.
const DENSE_CONSTANTS = { GEMV_SAMPLES: 4 };
export const TERNARY_DENSE_SHADER: ShaderSource = {
  key: 'dense-ternary',
  code: unrollMarkedLoops(withGrid(denseBody, linear, denseTernary, ternaryMasks), DENSE_CONSTANTS),
  entryPoint: 'main',
};
export const FLOAT_DENSE_SHADER: ShaderSource = {
  key: 'dense-float',
  code: unrollMarkedLoops(withGrid(denseBody, linear, denseFloat), DENSE_CONSTANTS),
  entryPoint: 'main',
};

function declareConstants(constants: Readonly<Record<string, number>>): string {
  return Object.entries(constants).map(([name, value]) => `const ${name} = ${value}u;`).join('\n');
}

export const POOL_SHADER: ShaderSource = { key: 'pool', code: withGrid(pool), entryPoint: 'main' };
export const SOFTMAX_SHADER: ShaderSource = { key: 'softmax', code: withGrid(softmax), entryPoint: 'main' };

const ELEMENTWISE_CODE = withGrid(elementwise);

export function elementwiseShader(entryPoint: 'relu' | 'add' | 'channel_affine'): ShaderSource {
  return { key: 'elementwise', code: ELEMENTWISE_CODE, entryPoint };
}
