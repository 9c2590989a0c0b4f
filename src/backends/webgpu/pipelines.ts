import { SHADER_STAGE_COMPUTE, BUFFER_USAGE } from './gpu-constants.js';
import type { Binding, DispatchPlan } from './kernel.js';

/**
 * Creates compute pipelines for kernel plans on one device: each WGSL module is compiled once however many layers use
 * it, and plans with the same module and override constants share one pipeline (the tiled convolution passes its sizes
 * in a uniform, so all its layers share one: pipeline creation dominates cold start on software adapters). Layouts
 * are explicit, so a binding a shader skips (the residual placeholder) stays in the layout.
 */
export class PipelineFactory {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUPipelineLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  /** Pipelines created or being created. */
  get count(): number {
    return this.pipelines.size;
  }

  create(plan: DispatchPlan, label: string): Promise<GPUComputePipeline> {
    const kinds = ['storage', ...plan.bindings.map((binding) => bufferType(binding.kind))] as const;
    const key = JSON.stringify([plan.shader.key, plan.shader.entryPoint, kinds, Object.entries(plan.constants).sort()]);
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      pipeline = this.device.createComputePipelineAsync({
        label,
        layout: this.layout(kinds),
        compute: { module: this.module(plan), entryPoint: plan.shader.entryPoint, constants: { ...plan.constants } },
      });
      // A failed creation is not cached, so a later compile reports it again.
      pipeline.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  private module(plan: DispatchPlan): GPUShaderModule {
    let module = this.modules.get(plan.shader.key);
    if (module === undefined) {
      module = this.device.createShaderModule({ label: plan.shader.key, code: plan.shader.code });
      this.modules.set(plan.shader.key, module);
    }
    return module;
  }

  /** Binding 0 is the output (read-write); the others are read-only storage buffers or uniforms. */
  private layout(kinds: readonly GPUBufferBindingType[]): GPUPipelineLayout {
    const key = kinds.join();
    let layout = this.layouts.get(key);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = kinds.map((type, binding) => ({
        binding,
        visibility: SHADER_STAGE_COMPUTE,
        buffer: { type },
      }));
      const bindGroupLayout = this.device.createBindGroupLayout({ label: key, entries });
      layout = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
      this.layouts.set(key, layout);
    }
    return layout;
  }
}

function bufferType(kind: Binding['kind']): GPUBufferBindingType {
  return kind === 'uniform' ? 'uniform' : 'read-only-storage';
}

/** A storage (or uniform) buffer holding `data`, written once at creation. */
export function uploadBuffer(
  device: GPUDevice,
  data: Float32Array | Uint32Array,
  label: string,
  usage: number = BUFFER_USAGE.STORAGE,
): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    // Uniform buffers are read in 16-byte rows.
    size: usage === BUFFER_USAGE.UNIFORM ? Math.ceil(data.byteLength / 16) * 16 : Math.max(4, data.byteLength),
    usage: usage | BUFFER_USAGE.COPY_DST,
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
