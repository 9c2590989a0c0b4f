import conv2dBody from '../../../shaders/conv2d.wgsl?raw';
import conv2dFloat from '../../../shaders/conv2d-float.wgsl?raw';
import conv2dTernary from '../../../shaders/conv2d-ternary.wgsl?raw';
import elementwise from '../../../shaders/elementwise.wgsl?raw';
import grid from '../../../shaders/grid.wgsl?raw';
import pool from '../../../shaders/pool.wgsl?raw';
import softmax from '../../../shaders/softmax.wgsl?raw';
import { INVOCATIONS_PER_WORKGROUP, type ShaderSource } from './kernel.js';

/**
 * A shader's parts, then the launch grid every shader shares: the workgroup size (from INVOCATIONS_PER_WORKGROUP, so
 * host and shaders cannot disagree) and the unfolding of 2D-folded grids. Appended rather than prepended, so the line
 * numbers of a compiler message still match the shader's own file.
 */
function withGrid(...parts: string[]): string {
  return [...parts, `const INVOCATIONS = ${INVOCATIONS_PER_WORKGROUP}u;`, grid].join('\n');
}

// The convolution body is shared; only the weight decode step differs between ternary and float layers.
export const TERNARY_CONV_SHADER: ShaderSource = { key: 'conv2d-ternary', code: withGrid(conv2dBody, conv2dTernary), entryPoint: 'main' };
export const FLOAT_CONV_SHADER: ShaderSource = { key: 'conv2d-float', code: withGrid(conv2dBody, conv2dFloat), entryPoint: 'main' };
export const POOL_SHADER: ShaderSource = { key: 'pool', code: withGrid(pool), entryPoint: 'main' };
export const SOFTMAX_SHADER: ShaderSource = { key: 'softmax', code: withGrid(softmax), entryPoint: 'main' };

const ELEMENTWISE_CODE = withGrid(elementwise);

export function elementwiseShader(entryPoint: 'relu' | 'add' | 'channel_affine'): ShaderSource {
  return { key: 'elementwise', code: ELEMENTWISE_CODE, entryPoint };
}
