/** Runs an op case through its FastCpuExecutor kernel and holds it against the float64 reference. */
import type { CpuKernels } from '../../src/backends/cpu-fast/options.js';
import type { Int16Quantiser } from '../../src/backends/cpu-fast/kernel.js';
import { getFastOp, getWasmOp } from '../../src/backends/cpu-fast/ops.js';
import { ArenaRegions, WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { getOp } from '../../src/ops/registry.js';
import { elementCount } from '../../src/ops/tensor.js';
import type { OpCase, OpCaseSpec } from './cases.js';
import { checkAgainstReference, type CaseResult } from './compare.js';

/**
 * One node through its fast kernel, on separate buffers (so flatten copies): the JavaScript kernel with a scratch of
 * exactly the size asked, or the WebAssembly tasks in a fresh arena, split as for `threads` threads (ops without
 * WebAssembly kernels run their JavaScript one on arena views, as the executor does). `int16`: the WebAssembly
 * kernels quantise the layer's input with it (ternary conv2d/dense).
 */
export function runOnFastCpu(
  { graph, node, inputs }: OpCase,
  kernels: CpuKernels,
  threads = 1,
  int16?: Int16Quantiser,
): Float32Array {
  const inputShapes = inputs.map((input) => input.shape);
  const outputShapes = getOp(node.op)!.inferShapes(inputShapes, node, graph, 'case');
  const step = { node, inputShapes, outputShapes };
  const outputLength = elementCount(outputShapes[0]!);
  const wasmOp = getWasmOp(node.op);
  if (kernels === 'wasm-simd' && wasmOp !== undefined) {
    const arena = WasmArena.create();
    if (arena === undefined) throw new Error('this engine has no WebAssembly SIMD');
    const regions = new ArenaRegions(arena);
    const bound = wasmOp(node, graph, regions, int16)?.(step);
    if (bound === undefined) throw new Error('the arena could not hold the case');
    const place = (data: ArrayLike<number>) => regions.store(Float32Array.from(data))!;
    const io = {
      inputs: inputs.map((input) => place(input.data)),
      output: regions.allocate(4 * outputLength)!,
      scratch: regions.allocate(bound.scratchBytes(threads))!,
    };
    const threadScratch = regions.allocate(bound.threadScratchBytes)!;
    for (const phase of bound.phases(io, regions, threads)!) arena.runTasks(phase, threadScratch);
    return arena.f32(io.output, outputLength).slice();
  }
  const fastOp = getFastOp(node.op);
  if (fastOp === undefined) throw new Error(`no fast kernel for ${node.op}`);
  const bound = fastOp(node, graph)(step);
  const output = new Float32Array(outputLength);
  bound.run({ inputs: inputs.map((input) => Float32Array.from(input.data)), output }, new Float32Array(bound.scratchSize));
  return output;
}

export function checkFastCpuCase(spec: OpCaseSpec, kernels: CpuKernels, threads = 1): CaseResult {
  const opCase = spec.build();
  return checkAgainstReference(opCase, runOnFastCpu(opCase, kernels, threads));
}
