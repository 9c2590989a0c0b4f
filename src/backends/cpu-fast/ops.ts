import { fastConv2d } from './conv2d.js';
import { fastDense } from './dense.js';
import { fastAdd, fastBatchnorm, fastFlatten, fastNormalize, fastRelu, fastSoftmax } from './elementwise.js';
import type { FastOp } from './kernel.js';
import { fastAvgpool, fastGlobalAvgpool, fastMaxpool } from './pool.js';

/** Every op of src/ops/registry.ts, keyed by the same type. */
const FAST_OPS: ReadonlyMap<string, FastOp> = new Map<string, FastOp>([
  ['normalize', fastNormalize],
  ['conv2d', fastConv2d],
  ['dense', fastDense],
  ['batchnorm', fastBatchnorm],
  ['relu', fastRelu],
  ['maxpool', fastMaxpool],
  ['avgpool', fastAvgpool],
  ['global_avgpool', fastGlobalAvgpool],
  ['add', fastAdd],
  ['flatten', fastFlatten],
  ['softmax', fastSoftmax],
]);

export function getFastOp(type: string): FastOp | undefined {
  return FAST_OPS.get(type);
}

/** The ops with a fast CPU kernel (a test checks they are exactly src/ops/registry.ts's). */
export function fastOpTypes(): string[] {
  return [...FAST_OPS.keys()];
}
