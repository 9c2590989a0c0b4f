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

export async function compileDispatch(
  device: GPUDevice,
  pipelines: PipelineFactory,
  plan: DispatchPlan,
  label: string,
): Promise<CompiledDispatch> {
  const paramBuffers = plan.bindings.map((binding) => {
    if (binding.kind === 'param') return uploadBuffer(device, binding.data, `${label}.${binding.role}`);
    if (binding.kind !== 'uniform') return undefined;
    return uploadBuffer(device, binding.data, `${label}.${binding.role}`, BUFFER_USAGE.UNIFORM);
  });
  try {
    return { label, plan, pipeline: await pipelines.create(plan, label), paramBuffers };
  } catch (error) {
    for (const buffer of paramBuffers) buffer?.destroy();
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

export function destroyDispatch(compiled: CompiledDispatch): void {
  for (const buffer of compiled.paramBuffers) buffer?.destroy();
}
