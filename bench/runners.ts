import { CpuExecutor } from '../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { acquireDevice, type AdapterSummary } from '../src/backends/webgpu/device.js';
import { compileWebGpu } from '../src/backends/webgpu/executor.js';
import type { Graph } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { planGraph, type ExecutionPlan } from '../src/plan/plan.js';

/** A model ready to run on one runtime. */
export interface PreparedModel {
  run(input: Float32Array, batch: number): Promise<unknown>;
  dispose(): void;
}

/** A runtime to compare: `prepare` is what the cold-compile column times. Add peers (e.g. ONNX Runtime Web) here. */
export interface Runner {
  readonly name: string;
  /** Where it runs, for the table header. */
  describe(): Promise<string>;
  prepare(graph: Graph): Promise<PreparedModel>;
  close(): void;
}

export function webGpuRunner(): Runner {
  const acquired = acquireDevice();
  return {
    name: 'webgpu',
    async describe() {
      const adapter: AdapterSummary | undefined = (await acquired).adapter;
      return adapter ? `${adapter.vendor} ${adapter.architecture} — ${adapter.description}${adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}` : 'caller device';
    },
    async prepare(graph) {
      const model = await compileWebGpu(graph, (await acquired).device);
      return { run: (input, batch) => model.run(input, batch), dispose: () => model.dispose() };
    },
    close() {
      void acquired.then(({ device }) => device.destroy());
    },
  };
}

/** The float64 reference executor, with the same passes and one plan per batch size, as a baseline. */
export function cpuReferenceRunner(): Runner {
  return {
    name: 'cpu-reference',
    describe: async () => `JavaScript float64 reference, ${process.version}`,
    async prepare(graph) {
      const optimized = optimize(graph);
      const plans = new Map<number, ExecutionPlan>();
      const executor = new CpuExecutor();
      return {
        async run(input, batch) {
          let plan = plans.get(batch);
          if (plan === undefined) plans.set(batch, (plan = planGraph(optimized, batch)));
          return executor.run(plan, input, batch);
        },
        dispose: () => plans.clear(),
      };
    },
    close: () => undefined,
  };
}

/** The float32 CPU backend users get without a hardware adapter; it compiles lazily, on the first run. */
export function cpuFastRunner(): Runner {
  return {
    name: 'cpu-fast',
    describe: async () => `float32 single-thread backend, ${new FastCpuExecutor().kernels} kernels, Node ${process.version}`,
    async prepare(graph) {
      const executor = new FastCpuExecutor();
      return { run: async (input, batch) => executor.run(graph, input, batch), dispose: () => undefined };
    },
    close: () => undefined,
  };
}

export const RUNNERS: Readonly<Record<string, () => Runner>> = {
  webgpu: webGpuRunner,
  'cpu-reference': cpuReferenceRunner,
  'cpu-fast': cpuFastRunner,
};
