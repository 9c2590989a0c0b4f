import { CpuExecutor } from '../backends/cpu/executor.js';
import type { Graph } from '../graph/ir.js';
import { planGraph, type ExecutionPlan } from '../plan/plan.js';
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
    run: async (input, batch) => (await compiled.run(input, batch)).get(output) ?? new Float32Array(),
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

function cpuExecutor(graph: Graph): Executor {
  const cpu = new CpuExecutor();
  const output = outputName(graph);
  // Planning is per batch size; callers tend to reuse one or two sizes.
  const plans = new Map<number, ExecutionPlan>();
  return {
    async run(input, batch) {
      let plan = plans.get(batch);
      if (!plan) plans.set(batch, (plan = planGraph(graph, batch)));
      const result = cpu.run(plan, input, batch).get(output);
      return Float32Array.from(result?.data ?? []);
    },
    dispose: () => plans.clear(),
  };
}
