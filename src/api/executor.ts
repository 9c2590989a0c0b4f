import { CpuExecutor } from '../backends/cpu/index.js';
import type { Graph } from '../graph/ir.js';
import type { BackendChoice } from './backend.js';

/** What the model needs from a backend: run a batch to the graph's output, and free everything. */
export interface Executor {
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): void;
}

export async function createExecutor(graph: Graph, choice: BackendChoice): Promise<Executor> {
  if (choice.kind === 'cpu' || !choice.device) {
    const cpu = new CpuExecutor(graph);
    return { run: async (input, batch) => cpu.run(input, batch), dispose: () => undefined };
  }
  const device = choice.device;
  // Loaded on demand so CPU-only pages never fetch the kernels and their shaders.
  const { compileWebGpu } = await import('../backends/webgpu/index.js');
  const compiled = await compileWebGpu(graph, device);
  return {
    run: (input, batch) => compiled.run(input, batch),
    dispose() {
      compiled.dispose();
      if (choice.ownsDevice) device.destroy();
    },
  };
}
