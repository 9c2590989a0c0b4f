import { fastConv2d } from './conv2d.js';
import { fastDense } from './dense.js';
import { fastAdd, fastBatchnorm, fastFlatten, fastNormalize, fastRelu, fastSoftmax } from './elementwise.js';
import type { FastOp, WasmOp } from './kernel.js';
import { fastAvgpool, fastGlobalAvgpool, fastMaxpool } from './pool.js';
import { wasmAdd, wasmBatchnorm, wasmNormalize, wasmRelu, wasmSoftmax } from './wasm/elementwise.js';
import { wasmConv2d, wasmDense } from './wasm/linear.js';
import { wasmAvgpool, wasmGlobalAvgpool, wasmMaxpool } from './wasm/pool.js';

/** Every op of src/ops/registry.ts, keyed by the same type: the JavaScript kernels. */
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

/** The ops with WebAssembly kernels; flatten (a no-op unless a plan copies) runs its JavaScript on arena views. */
const WASM_OPS: ReadonlyMap<string, WasmOp> = new Map<string, WasmOp>([
  ['conv2d', wasmConv2d],
  ['dense', wasmDense],
  ['maxpool', wasmMaxpool],
  ['avgpool', wasmAvgpool],
  ['global_avgpool', wasmGlobalAvgpool],
  ['normalize', wasmNormalize],
  ['batchnorm', wasmBatchnorm],
  ['relu', wasmRelu],
  ['add', wasmAdd],
  ['softmax', wasmSoftmax],
]);

export function getWasmOp(type: string): WasmOp | undefined {
  return WASM_OPS.get(type);
}
