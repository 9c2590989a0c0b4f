import type { Graph, GraphNode } from '../../graph/ir.js';
import type { WindowGeometry } from '../../ops/window.js';
import type { DeviceDescription, KernelOverrides } from './kernel-policy.js';

/** One WGSL module: `key` identifies it so each device compiles it once, whatever the number of layers using it. */
export interface ShaderSource {
  readonly key: string;
  readonly code: string;
  readonly entryPoint: string;
}

/** What a binding after the output (binding 0) holds. */
export type Binding =
  /** The node's activation input `node.inputs[index]`. */
  | { readonly kind: 'input'; readonly index: number }
  /** A parameter array, uploaded once at compile time. */
  | { readonly kind: 'param'; readonly role: string; readonly data: Float32Array | Uint32Array }
  /** The layer's sizes, uploaded once as a uniform buffer: layers of any size then share one pipeline. */
  | { readonly kind: 'uniform'; readonly role: string; readonly data: Uint32Array }
  /** An optional input this node does not have (the shader skips it through an override constant). */
  | { readonly kind: 'placeholder' };

/** Every kernel's workgroups hold this many invocations; shaders.ts declares it to every shader as INVOCATIONS. */
export const INVOCATIONS_PER_WORKGROUP = 64;

export interface DispatchPlan {
  readonly kind: 'dispatch';
  readonly shader: ShaderSource;
  /**
   * Pipeline-overridable constants, booleans as 0/1. Plans with the same shader and constants share one pipeline, so
   * kernels whose pipelines are costly to create pass sizes in a `uniform` binding instead.
   */
  readonly constants: Readonly<Record<string, number>>;
  /** Bindings 1, 2, …; binding 0 is always the output, sized exactly to the value so shaders read the batch from it. */
  readonly bindings: readonly Binding[];
  /** Workgroups needed for `batch` samples, before folding into two dimensions. */
  workgroups(batch: number): number;
}

/** The output is the input's buffer read with another shape (flatten): no dispatch. */
export interface AliasPlan {
  readonly kind: 'alias';
}

export type KernelPlan = DispatchPlan | AliasPlan;

export interface KernelContext {
  readonly node: GraphNode;
  readonly graph: Graph;
  /** Shapes of `node.inputs` for one sample (batch dimension 1). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Shape of the node's output for one sample (batch dimension 1). */
  readonly outputShape: readonly number[];
  /** The device the plan is for: kernels with variants pick theirs by it (kernel-policy.ts). */
  readonly device: DeviceDescription;
  readonly overrides?: KernelOverrides;
}

/** A GPU kernel for one op type: a pure description, so limits can be checked before the device is touched. */
export interface KernelModule {
  readonly op: string;
  plan(context: KernelContext): KernelPlan;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** A window's override constants, under the names shaders/conv2d.wgsl and shaders/pool.wgsl declare. */
export function windowConstants(window: WindowGeometry): Record<string, number> {
  return {
    H: window.height,
    W: window.width,
    OH: window.outHeight,
    OW: window.outWidth,
    KH: window.kernel[0],
    KW: window.kernel[1],
    SH: window.stride[0],
    SW: window.stride[1],
    PH: window.padding[0],
    PW: window.padding[1],
  };
}

/** The [C, H, W] of a per-sample NCHW shape. */
export function chw(shape: readonly number[]): [number, number, number] {
  const [, c = 1, h = 1, w = 1] = shape;
  return [c, h, w];
}
