/** Runs an op case through its FastCpuExecutor kernel and holds it against the float64 reference. */
import type { CpuKernels } from '../../src/backends/cpu-fast/executor.js';
import { getFastOp } from '../../src/backends/cpu-fast/ops.js';
import { WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { getOp } from '../../src/ops/registry.js';
import { elementCount } from '../../src/ops/tensor.js';
import type { OpCase, OpCaseSpec } from './cases.js';
import { checkAgainstReference, type CaseResult } from './compare.js';

/**
 * One node through its fast kernel, on separate buffers (so flatten copies), with a scratch of exactly the size asked:
 * on the JavaScript heap for 'js', in a fresh WebAssembly arena for 'wasm-simd'.
 */
export function runOnFastCpu({ graph, node, inputs }: OpCase, kernels: CpuKernels): Float32Array {
  const inputShapes = inputs.map((input) => input.shape);
  const outputShapes = getOp(node.op)!.inferShapes(inputShapes, node, graph, 'case');
  const fastOp = getFastOp(node.op);
  if (fastOp === undefined) throw new Error(`no fast kernel for ${node.op}`);
  const arena = kernels === 'wasm-simd' ? WasmArena.create() : undefined;
  if (kernels === 'wasm-simd' && arena === undefined) throw new Error('this engine has no WebAssembly SIMD');
  const bound = fastOp(node, graph, arena)({ node, inputShapes, outputShapes });
  const output = new Float32Array(elementCount(outputShapes[0]!));
  const scratch = arena?.scratch(bound.scratchSize) ?? new Float32Array(bound.scratchSize);
  bound.run({ inputs: inputs.map((input) => Float32Array.from(input.data)), output }, scratch);
  return output;
}

export function checkFastCpuCase(spec: OpCaseSpec, kernels: CpuKernels): CaseResult {
  const opCase = spec.build();
  return checkAgainstReference(opCase, runOnFastCpu(opCase, kernels));
}
