import { TwnDeviceError, TwnError, TwnInputError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import { optimize } from '../../graph/passes/optimize.js';
import { checkBatch } from '../../graph/shapes.js';
import { planGraph, type ExecutionPlan, type RunLimits } from '../../plan/plan.js';
import { BatchCache } from '../../plan/batch-cache.js';
import { deviceLossInfo, deviceLostError, lossWithin, watchDeviceLoss, type DeviceLossListener } from './device.js';
import {
  bindDispatch,
  compileDispatch,
  destroyDispatch,
  encodeDispatch,
  ParameterUploads,
  type CompiledDispatch,
} from './dispatch.js';
import { BUFFER_USAGE, MAP_MODE_READ } from './gpu-constants.js';
import { product, type KernelPlan } from './kernel.js';
import { describeDevice, type KernelOverrides } from './kernel-policy.js';
import { getKernel } from './kernels/registry.js';
import { checkBatchLimits, checkStaticLimits } from './limits.js';
import { PipelineFactory, uploadBuffer } from './pipelines.js';

const BYTES_PER_VALUE = 4;
/**
 * How long a failed GPU call waits for `device.lost` before it is reported as itself: browsers may reject a pending
 * mapAsync (AbortError) a task before the loss is announced.
 */
const LOSS_GRACE_MS = 1000;

/** A graph compiled for one device: pipelines built and weights uploaded (still 2-bit packed) once. */
export interface WebGpuModel {
  /** The graph as run: batchnorm folded, activations and residual adds fused. */
  readonly graph: Graph;
  /** GPU bytes of the uploaded parameters: packed ternary codes, float weights, per-channel multipliers and biases. */
  readonly weightBytes: number;
  /** Distinct compute pipelines created for the graph (layers of a kernel variant share one). */
  readonly pipelineCount: number;
  /** GPU bytes of the activation buffers (after liveness reuse) and the readback buffer for `batch` samples. */
  activationBytes(batch: number): number;
  /**
   * Runs `batch` samples (NCHW, pixel values in [0, 1] before normalisation, the graph's first op) in one submit and
   * returns every graph output by name. Runs are serialised; each uploads once and reads back once.
   */
  run(input: Float32Array, batch: number): Promise<Map<string, Float32Array>>;
  /** Destroys every buffer this model created. The device is the caller's and stays alive. */
  dispose(): void;
}

/**
 * Compiles `graph` for `device`: checks it against the device's limits (TwnDeviceError LIMIT_EXCEEDED, naming the node
 * and the limit, before anything is created), then creates every pipeline and uploads every parameter. Kernel
 * variants follow the device (kernel-policy.ts) unless `overrides` forces them (tests, benchmarks).
 */
export async function compileWebGpu(
  source: Graph,
  device: GPUDevice,
  limits: RunLimits = {},
  overrides: KernelOverrides = {},
): Promise<WebGpuModel> {
  const graph = optimize(source);
  const plan = planGraph(graph, 1, limits);
  const description = describeDevice(device);
  const kernelPlans = plan.steps.map(({ node, inputShapes, outputShapes }) => {
    const kernel = getKernel(node.op);
    if (kernel === undefined) throw new TwnDeviceError('UNSUPPORTED_OP', `node "${node.name}": no WebGPU kernel for op "${node.op}"`);
    return kernel.plan({ node, graph, inputShapes, outputShape: outputShapes[0]!, device: description, overrides });
  });
  kernelPlans.forEach((kernelPlan, i) => kernelPlan.kind === 'dispatch' && checkStaticLimits(plan.steps[i]!.node, kernelPlan, device.limits));
  checkActivationLimits(plan, kernelPlans, device.limits);
  throwIfLost(device);

  const pipelines = new PipelineFactory(device);
  const parameters = new ParameterUploads(device);
  const destroyAll = (results: SettledDispatches) => {
    destroyCompiled(results);
    parameters.destroy();
  };
  const settled = await withErrorScopes(
    device,
    'compiling the graph',
    () =>
      Promise.allSettled(
        kernelPlans.map((kernelPlan, i) =>
          kernelPlan.kind === 'dispatch'
            ? compileDispatch(device, pipelines, parameters, kernelPlan, plan.steps[i]!.node.name)
            : undefined,
        ),
      ),
    destroyAll,
  );
  // Pipelines and buffers are made without complaint on a destroyed device, so a loss must be looked for, and given a
  // task to be announced.
  if (deviceLossInfo(device) ?? (await lossWithin(device, 0))) {
    destroyAll(settled);
    throwIfLost(device);
  }
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    destroyAll(settled);
    throw new TwnDeviceError('PIPELINE_FAILED', `creating a compute pipeline failed: ${String(failed.reason)}`);
  }
  return new CompiledGraph(
    graph,
    device,
    limits,
    settled.map((result) => (result as PromiseFulfilledResult<CompiledDispatch | undefined>).value),
    parameters,
    pipelines.count,
  );
}

function throwIfLost(device: GPUDevice): void {
  const info = deviceLossInfo(device);
  if (info !== undefined) throw deviceLostError(info);
}

type SettledDispatches = readonly PromiseSettledResult<CompiledDispatch | undefined>[];

function destroyCompiled(settled: SettledDispatches): void {
  for (const result of settled) if (result.status === 'fulfilled' && result.value) destroyDispatch(result.value);
}

/** The limits that grow with the batch, for the plan's batch size. */
function checkActivationLimits(plan: ExecutionPlan, kernelPlans: readonly KernelPlan[], limits: GPUSupportedLimits): void {
  const valueBytes = (value: string) => BYTES_PER_VALUE * product(plan.shapes.get(value)!);
  plan.steps.forEach(({ node }, i) => {
    const kernelPlan = kernelPlans[i]!;
    if (kernelPlan.kind === 'dispatch') checkBatchLimits(node, kernelPlan, plan.batch, valueBytes, limits);
  });
}

/**
 * Runs `create` between validation and out-of-memory error scopes; a captured error frees what was made (`release`)
 * and becomes a TwnDeviceError.
 */
async function withErrorScopes<T>(device: GPUDevice, what: string, create: () => Promise<T>, release: (made: T) => void): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const outcome = await create().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const validation = await device.popErrorScope();
  const outOfMemory = await device.popErrorScope();
  if ('error' in outcome) throw outcome.error;
  const scopeError = outOfMemory ?? validation;
  if (scopeError) {
    release(outcome.value);
    throw new TwnDeviceError(outOfMemory ? 'OUT_OF_MEMORY' : 'VALIDATION', `${what}: ${scopeError.message}`);
  }
  return outcome.value;
}

/** Buffers and bind groups for one batch size, made on first use and kept while among the recently used sizes. */
interface BatchResources {
  readonly plan: ExecutionPlan;
  readonly slots: readonly GPUBuffer[];
  readonly bindGroups: readonly (GPUBindGroup | undefined)[];
  /** One buffer holding every output back to back, mapped once per run. */
  readonly staging: GPUBuffer;
  readonly outputs: readonly { readonly name: string; readonly slot: GPUBuffer; readonly offset: number; readonly bytes: number }[];
}

class CompiledGraph implements WebGpuModel, DeviceLossListener {
  readonly weightBytes: number;
  private readonly placeholder: GPUBuffer;
  // Runs are serialized through `queue`, so an evicted batch's buffers are never in use when they are destroyed.
  private readonly batches = new BatchCache<Promise<BatchResources>>((resources) => void resources.then(destroyBatch, () => undefined));
  private lost: GPUDeviceLostInfo | undefined;
  /** Rejects the GPU work each run is awaiting when the device is lost; a run removes its own when it settles. */
  private readonly inFlight = new Set<(error: TwnDeviceError) => void>();
  private readonly unwatchLoss: () => void;
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly graph: Graph,
    private readonly device: GPUDevice,
    private readonly limits: RunLimits,
    private readonly dispatches: readonly (CompiledDispatch | undefined)[],
    private readonly parameters: ParameterUploads,
    readonly pipelineCount: number,
  ) {
    this.placeholder = uploadBuffer(device, new Float32Array(1), 'absent optional input');
    this.weightBytes = parameters.bytes;
    this.unwatchLoss = watchDeviceLoss(device, this);
  }

  deviceLost(info: GPUDeviceLostInfo): void {
    this.lost ??= info;
    for (const abandon of this.inFlight) abandon(this.lostError());
  }

  activationBytes(batch: number): number {
    const plan = planGraph(this.graph, batch, this.limits);
    const outputs = this.graph.outputs.reduce((sum, value) => sum + product(plan.shapes.get(value)!), 0);
    return BYTES_PER_VALUE * (plan.slots.reduce((sum, elements) => sum + elements, 0) + outputs);
  }

  run(input: Float32Array, batch: number): Promise<Map<string, Float32Array>> {
    try {
      this.checkUsable();
      this.checkInput(input, batch);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.queue.then(() => this.execute(input, batch));
    this.queue = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unwatchLoss();
    for (const dispatch of this.dispatches) if (dispatch) destroyDispatch(dispatch);
    this.parameters.destroy();
    this.placeholder.destroy();
    this.batches.clear();
  }

  private checkUsable(): void {
    if (this.disposed) throw new TwnDeviceError('DISPOSED', 'this model was disposed');
    if (this.lost) throw this.lostError();
  }

  private lostError(): TwnDeviceError {
    return deviceLostError(this.lost);
  }

  private checkInput(input: Float32Array, batch: number): void {
    if (!(input instanceof Float32Array)) throw new TwnInputError('INPUT_TYPE', 'input must be a Float32Array');
    checkBatch(batch);
    const expected = batch * product(this.graph.input.shape);
    if (input.length !== expected) {
      throw new TwnInputError(
        'INPUT_SHAPE',
        `input of batch ${batch} × [${this.graph.input.shape.join(', ')}] needs ${expected} values, got ${input.length}`,
      );
    }
  }

  private async execute(input: Float32Array, batch: number): Promise<Map<string, Float32Array>> {
    this.checkUsable();
    const resources = await this.aliveWhile(this.resourcesFor(batch));
    const { plan, slots, bindGroups, staging, outputs } = resources;
    // WebGPU copies from shared memory too; the DOM typings just do not say so for typed arrays.
    this.device.queue.writeBuffer(slots[plan.valueSlot.get(this.graph.input.name)!]!, 0, input as Float32Array<ArrayBuffer>);
    const encoder = this.device.createCommandEncoder({ label: `run batch ${batch}` });
    const pass = encoder.beginComputePass();
    const maxPerDimension = this.device.limits.maxComputeWorkgroupsPerDimension;
    this.dispatches.forEach((dispatch, i) => dispatch && encodeDispatch(pass, dispatch, bindGroups[i]!, batch, maxPerDimension));
    pass.end();
    for (const output of outputs) encoder.copyBufferToBuffer(output.slot, 0, staging, output.offset, output.bytes);
    this.device.queue.submit([encoder.finish()]);
    await this.aliveWhile(staging.mapAsync(MAP_MODE_READ));
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    return new Map(outputs.map((output) => [output.name, new Float32Array(bytes, output.offset, output.bytes / BYTES_PER_VALUE)]));
  }

  /**
   * `work`, unless the device is lost first; any failure around a loss is reported as the loss. Nothing outlives the
   * call: racing a never-settling `device.lost` instead would leave a reaction behind on every run.
   */
  private async aliveWhile<T>(work: Promise<T>): Promise<T> {
    let abandon!: (error: TwnDeviceError) => void;
    const abandoned = new Promise<never>((_, reject) => (abandon = reject));
    this.inFlight.add(abandon);
    try {
      return await Promise.race([work, abandoned]);
    } catch (error) {
      throw await this.explainFailure(error);
    } finally {
      this.inFlight.delete(abandon);
    }
  }

  private async explainFailure(error: unknown): Promise<unknown> {
    if (this.lost) return this.lostError();
    if (error instanceof TwnError) return error;
    if (this.disposed) return new TwnDeviceError('DISPOSED', 'this model was disposed during the run');
    const info = await lossWithin(this.device, LOSS_GRACE_MS);
    if (info === undefined) return error;
    this.lost ??= info;
    return this.lostError();
  }

  private resourcesFor(batch: number): Promise<BatchResources> {
    return this.batches.get(batch, () => {
      const resources = this.createBatch(batch);
      // A failed allocation (limits, out of memory) is not cached: a later call reports it again.
      resources.catch(() => this.batches.forget(batch, resources));
      return resources;
    });
  }

  private async createBatch(batch: number): Promise<BatchResources> {
    const plan = planGraph(this.graph, batch, this.limits);
    checkActivationLimits(plan, this.dispatches.map((dispatch) => dispatch?.plan ?? { kind: 'alias' }), this.device.limits);
    return withErrorScopes(this.device, `allocating activations for batch ${batch}`, async () => {
      const usage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;
      const slots = plan.slots.map((elements, i) =>
        this.device.createBuffer({ label: `activations ${i} (batch ${batch})`, size: BYTES_PER_VALUE * elements, usage }),
      );
      const binding = (value: string): GPUBufferBinding => ({
        buffer: slots[plan.valueSlot.get(value)!]!,
        size: BYTES_PER_VALUE * product(plan.shapes.get(value)!),
      });
      const bindGroups = plan.steps.map(({ node }, i) => {
        const dispatch = this.dispatches[i];
        return dispatch && bindDispatch(this.device, dispatch, binding(node.outputs[0]!), node.inputs.map(binding), this.placeholder);
      });
      let offset = 0;
      const outputs = this.graph.outputs.map((name) => {
        const { buffer, size = 0 } = binding(name);
        const output = { name, slot: buffer, offset, bytes: Number(size) };
        offset += output.bytes;
        return output;
      });
      const staging = this.device.createBuffer({ label: `readback (batch ${batch})`, size: offset, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
      return { plan, slots, bindGroups, staging, outputs };
    }, destroyBatch);
  }
}

function destroyBatch(resources: BatchResources): void {
  for (const buffer of resources.slots) buffer.destroy();
  resources.staging.destroy();
}
