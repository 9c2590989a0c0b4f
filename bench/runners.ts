import { CpuExecutor } from '../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { acquireDevice } from '../src/backends/webgpu/device.js';
import { compileWebGpu } from '../src/backends/webgpu/executor.js';
import type { Graph } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { planGraph, type ExecutionPlan } from '../src/plan/plan.js';

/** A model ready to run on one runtime; `run` returns the first output. */
export interface PreparedModel {
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): void;
}

/** A runtime to compare in Node: `prepare` plus the first run is its cold start. */
export interface Runner {
  readonly name: string;
  /** Where it runs, for the log and the JSON. */
  describe(): Promise<Record<string, unknown>>;
  prepare(graph: Graph): Promise<PreparedModel>;
  close(): void;
}

/** Device limits that bound what our WebGPU kernels can take, reported with the adapter. */
const LIMITS_REPORTED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
] as const;

export function webGpuRunner(): Runner {
  const acquired = acquireDevice();
  return {
    name: 'webgpu',
    async describe() {
      const { device, adapter } = await acquired;
      // GPUDevice.adapterInfo (newer than the adapter summary) also names the device; older Dawn builds lack it.
      const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
      const limits = Object.fromEntries(LIMITS_REPORTED.map((name) => [name, device.limits[name]]));
      return {
        vendor: info?.vendor ?? adapter?.vendor,
        architecture: info?.architecture ?? adapter?.architecture,
        device: info?.device,
        description: info?.description ?? adapter?.description,
        isFallbackAdapter: adapter?.isFallbackAdapter,
        features: [...device.features].sort(),
        limits,
      };
    },
    async prepare(graph) {
      const model = await compileWebGpu(graph, (await acquired).device);
      const output = graph.outputs[0]!;
      return {
        run: async (input, batch) => (await model.run(input, batch)).get(output)!,
        dispose: () => model.dispose(),
      };
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
    describe: async () => ({ description: `JavaScript float64 reference, Node ${process.version}` }),
    async prepare(graph) {
      const optimized = optimize(graph);
      const plans = new Map<number, ExecutionPlan>();
      const executor = new CpuExecutor();
      const output = optimized.outputs[0]!;
      return {
        async run(input, batch) {
          let plan = plans.get(batch);
          if (plan === undefined) plans.set(batch, (plan = planGraph(optimized, batch)));
          return Float32Array.from(executor.run(plan, input, batch).get(output)!.data);
        },
        dispose: () => plans.clear(),
      };
    },
    close: () => undefined,
  };
}

/** The float32 CPU backend users get without a hardware adapter, on this thread; it compiles on the first run. */
export function cpuFastRunner(): Runner {
  return {
    name: 'cpu-fast',
    describe: async () => ({
      description: `float32 CPU backend, ${new FastCpuExecutor().kernels} kernels, Node ${process.version}`,
    }),
    async prepare(graph) {
      const executor = new FastCpuExecutor();
      const output = graph.outputs[0]!;
      return {
        run: async (input, batch) => executor.run(graph, input, batch).get(output)!.data,
        dispose: () => undefined,
      };
    },
    close: () => undefined,
  };
}

export const RUNNERS: Readonly<Record<string, () => Runner>> = {
  webgpu: webGpuRunner,
  'cpu-reference': cpuReferenceRunner,
  'cpu-fast': cpuFastRunner,
};
