import { SHADER_STAGE_COMPUTE, BUFFER_USAGE } from './gpu-constants.js';
import type { DispatchPlan } from './kernel.js';

/**
 * Creates compute pipelines for kernel plans on one device: each WGSL module is compiled once however many layers use
 * it (the layers differ only in their override constants), and the layouts are explicit, so a binding a shader skips
 * through an override (the residual placeholder) stays in the layout.
 */
export class PipelineFactory {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<number, GPUPipelineLayout>();

  constructor(private readonly device: GPUDevice) {}

  create(plan: DispatchPlan, label: string): Promise<GPUComputePipeline> {
    return this.device.createComputePipelineAsync({
      label,
      layout: this.layout(1 + plan.bindings.length),
      compute: { module: this.module(plan), entryPoint: plan.shader.entryPoint, constants: { ...plan.constants } },
    });
  }

  private module(plan: DispatchPlan): GPUShaderModule {
    let module = this.modules.get(plan.shader.key);
    if (module === undefined) {
      module = this.device.createShaderModule({ label: plan.shader.key, code: plan.shader.code });
      this.modules.set(plan.shader.key, module);
    }
    return module;
  }

  /** Binding 0 is the output (read-write), every other binding is read-only. */
  private layout(bindings: number): GPUPipelineLayout {
    let layout = this.layouts.get(bindings);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = Array.from({ length: bindings }, (_, binding) => ({
        binding,
        visibility: SHADER_STAGE_COMPUTE,
        buffer: { type: binding === 0 ? 'storage' : 'read-only-storage' },
      }));
      const bindGroupLayout = this.device.createBindGroupLayout({ label: `${bindings} storage buffers`, entries });
      layout = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
      this.layouts.set(bindings, layout);
    }
    return layout;
  }
}

/** A storage buffer holding `data`, written once at creation. */
export function uploadBuffer(device: GPUDevice, data: Float32Array | Uint32Array, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(4, data.byteLength),
    usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/**
 * Splits a workgroup count into an (x, y) grid within `maxPerDimension`; the shaders rebuild the linear index from
 * `workgroup_id` and `num_workgroups`. Undefined when even a square grid is too small.
 */
export function foldWorkgroups(total: number, maxPerDimension: number): [number, number] | undefined {
  const rows = Math.ceil(total / maxPerDimension);
  if (rows > maxPerDimension) return undefined;
  return [Math.ceil(total / rows), rows];
}
