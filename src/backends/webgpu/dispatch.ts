import { BUFFER_USAGE } from './gpu-constants.js';
import type { DispatchPlan } from './kernel.js';
import { foldWorkgroups, uploadBuffer, type PipelineFactory } from './pipelines.js';

/** A kernel plan made real on a device: its pipeline and its parameter buffers, uploaded once. */
export interface CompiledDispatch {
  readonly label: string;
  readonly plan: DispatchPlan;
  readonly pipeline: GPUComputePipeline;
  /** The uploaded buffer of each `param` or `uniform` binding, by position in `plan.bindings` (else undefined). */
  readonly paramBuffers: readonly (GPUBuffer | undefined)[];
}

/**
 * The parameter buffers of one compiled graph, keyed by the parameter's array: a tensor read by several nodes (a
 * weight shared across layers) is uploaded once and bound by each of them.
 */
export class ParameterUploads {
  readonly #buffers = new Map<Float32Array | Uint32Array, GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  upload(data: Float32Array | Uint32Array, label: string): GPUBuffer {
    let buffer = this.#buffers.get(data);
    if (buffer === undefined) {
      buffer = uploadBuffer(this.device, data, label);
      this.#buffers.set(data, buffer);
    }
    return buffer;
  }

  /** Bytes on the device, each shared buffer counted once. */
  get bytes(): number {
    let total = 0;
    for (const buffer of this.#buffers.values()) total += buffer.size;
    return total;
  }

  destroy(): void {
    for (const buffer of this.#buffers.values()) buffer.destroy();
  }
}

export async function compileDispatch(
  device: GPUDevice,
  pipelines: PipelineFactory,
  parameters: ParameterUploads,
  plan: DispatchPlan,
  label: string,
): Promise<CompiledDispatch> {
  // Parameter buffers belong to `parameters` (they may be shared); only the sizes uniform is this dispatch's own.
  const paramBuffers = plan.bindings.map((binding) => {
    if (binding.kind === 'param') return parameters.upload(binding.data, `${label}.${binding.role}`);
    if (binding.kind !== 'uniform') return undefined;
    return uploadBuffer(device, binding.data, `${label}.${binding.role}`, BUFFER_USAGE.UNIFORM);
  });
  try {
    return { label, plan, pipeline: await pipelines.create(plan, label), paramBuffers };
  } catch (error) {
    destroyDispatch({ plan, paramBuffers });
    throw error;
  }
}

/**
 * The bind group of one dispatch: binding 0 the output, then the plan's bindings. Activation bindings are sized to
 * the value exactly (shaders read the batch from the output's arrayLength).
 */
export function bindDispatch(
  device: GPUDevice,
  compiled: CompiledDispatch,
  output: GPUBufferBinding,
  inputs: readonly GPUBufferBinding[],
  placeholder: GPUBuffer,
): GPUBindGroup {
  const resources: GPUBufferBinding[] = compiled.plan.bindings.map((binding, i) => {
    switch (binding.kind) {
      case 'input': {
        const input = inputs[binding.index];
        if (input === undefined) throw new Error(`${compiled.label}: no buffer for input ${binding.index}`);
        return input;
      }
      case 'param':
      case 'uniform':
        return { buffer: compiled.paramBuffers[i]! };
      case 'placeholder':
        return { buffer: placeholder };
    }
  });
  return device.createBindGroup({
    label: compiled.label,
    layout: compiled.pipeline.getBindGroupLayout(0),
    entries: [output, ...resources].map((resource, binding) => ({ binding, resource })),
  });
}

export function encodeDispatch(
  pass: GPUComputePassEncoder,
  compiled: CompiledDispatch,
  bindGroup: GPUBindGroup,
  batch: number,
  maxWorkgroupsPerDimension: number,
): void {
  const grid = foldWorkgroups(compiled.plan.workgroups(batch), maxWorkgroupsPerDimension);
  // The limit checks ran before anything was encoded, so a grid always fits here.
  if (grid === undefined) throw new Error(`${compiled.label}: dispatch grid does not fit`);
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(grid[0], grid[1]);
}

/** Destroys the dispatch's own (uniform) buffers; shared parameters go with their `ParameterUploads`. */
export function destroyDispatch(compiled: Pick<CompiledDispatch, 'plan' | 'paramBuffers'>): void {
  compiled.paramBuffers.forEach((buffer, i) => compiled.plan.bindings[i]!.kind === 'uniform' && buffer?.destroy());
}
