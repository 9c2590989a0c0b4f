import conv2dBody from '../../../shaders/conv2d.wgsl?raw';
import conv2dFloat from '../../../shaders/conv2d-float.wgsl?raw';
import conv2dTernary from '../../../shaders/conv2d-ternary.wgsl?raw';
import elementwise from '../../../shaders/elementwise.wgsl?raw';
import pool from '../../../shaders/pool.wgsl?raw';
import softmax from '../../../shaders/softmax.wgsl?raw';
import type { ShaderSource } from './kernel.js';

// The convolution body is shared; only the weight decode step differs between ternary and float layers.
export const TERNARY_CONV_SHADER: ShaderSource = { key: 'conv2d-ternary', code: `${conv2dBody}\n${conv2dTernary}`, entryPoint: 'main' };
export const FLOAT_CONV_SHADER: ShaderSource = { key: 'conv2d-float', code: `${conv2dBody}\n${conv2dFloat}`, entryPoint: 'main' };
export const POOL_SHADER: ShaderSource = { key: 'pool', code: pool, entryPoint: 'main' };
export const SOFTMAX_SHADER: ShaderSource = { key: 'softmax', code: softmax, entryPoint: 'main' };

export function elementwiseShader(entryPoint: 'relu' | 'add' | 'channel_affine'): ShaderSource {
  return { key: 'elementwise', code: elementwise, entryPoint };
}
