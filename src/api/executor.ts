import { FastCpuExecutor } from '../backends/cpu-fast/index.js';
import type { Graph } from '../graph/ir.js';
import type { BackendChoice } from './backend.js';

/** What the model needs from a backend: run a batch to the graph's output, and free everything. */
export interface Executor {
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): void;
}

/** `graph` is already optimized. */
export async function createExecutor(graph: Graph, choice: BackendChoice): Promise<Executor> {
  if (choice.kind === 'cpu' || !choice.device) return cpuExecutor(graph);
  const device = choice.device;
  // Loaded on demand so CPU-only pages never fetch the kernels and their shaders.
  const { compileWebGpu } = await import('../backends/webgpu/index.js');
  const compiled = await compileWebGpu(graph, device);
  const output = outputName(graph);
  return {
    // The graph reader guarantees every listed output is produced (BAD_OUTPUT otherwise).
    run: async (input, batch) => (await compiled.run(input, batch)).get(output)!,
    dispose() {
      compiled.dispose();
      if (choice.ownsDevice) device.destroy();
    },
  };
}

/** The model's one result: its first output (the logits). */
function outputName(graph: Graph): string {
  return graph.outputs[0] ?? '';
}

/** The float32 CPU backend (the float64 one is the reference for tests, not for users); it caches plans per batch. */
function cpuExecutor(graph: Graph): Executor {
  const cpu = new FastCpuExecutor();
  const output = outputName(graph);
  return {
    run: async (input, batch) => cpu.run(graph, input, batch).get(output)!.data,
    // Only ordinary arrays, which the garbage collector takes with the model.
    dispose: () => undefined,
  };
}
