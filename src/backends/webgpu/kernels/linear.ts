import { TwnFormatError } from '../../../errors.js';
import type { Activation, GraphNode, Tensor } from '../../../graph/ir.js';
import { ceilDiv, type Binding, type DispatchPlan, type KernelContext } from '../kernel.js';
import type { WindowGeometry } from '../../../ops/window.js';
import {
  chooseConvVariant,
  chooseGemvSlices,
  CONV_TILES,
  type GemvSlices,
  tileChannels,
  tilePositions,
} from '../kernel-policy.js';
import { convShader, denseShader, GEMV_SAMPLES, gemvRows } from '../shaders.js';

// Codes per packed ternary word (docs/FORMAT.md §5): shape.kWords counts 16-column blocks for both weight kinds.
const COLUMNS_PER_WORD = 16;

/** A convolution's geometry; dense is the 1×1 case on a 1×1 image with C = K. */
export interface LinearGeometry extends WindowGeometry {
  readonly channels: number;
  readonly activation: Activation;
}

/**
 * conv2d and dense: one dispatch computing act(α·scale·Σ ±x + bias (+ residual)). Convolutions run as a tiled
 * implicit GEMM (shaders/conv2d.wgsl, its variant chosen per layer and device by kernel-policy.ts), dense layers as a
 * GEMV (shaders/dense.wgsl); both read the layer's sizes from a uniform, so every layer of a variant shares one
 * pipeline.
 */
export function linearPlan(context: KernelContext, geometry: LinearGeometry, isDense = false): DispatchPlan {
  const { node, graph } = context;
  const weight = tensorOf(node, graph.tensors, 'weight');
  const outChannels = weight.shape[0]!;
  const positionsPerSample = geometry.outHeight * geometry.outWidth;
  const hasResidual = node.inputs.length > 1;
  const bindings: Binding[] = [
    { kind: 'input', index: 0 },
    hasResidual ? { kind: 'input', index: 1 } : { kind: 'placeholder' },
    { kind: 'param', role: 'epilogue', data: epilogueOf(node, graph.tensors, outChannels) },
    { kind: 'param', role: 'weight', data: weight.data },
    { kind: 'uniform', role: 'shape', data: shapeOf(geometry, outChannels, hasResidual) },
  ];
  const decode = weight.dtype === 'ternary2' ? 'ternary' : 'float';
  if (isDense) {
    const slices = chooseGemvSlices(context.device, context.overrides);
    return {
      kind: 'dispatch',
      shader: denseShader(decode, slices),
      constants: {},
      bindings,
      workgroups: (batch) => gemvWorkgroups(batch, outChannels, slices),
    };
  }
  const columns = geometry.channels * geometry.kernel[0] * geometry.kernel[1];
  const layer = { outChannels, positions: positionsPerSample, columns };
  const variant = chooseConvVariant(layer, context.device, context.overrides);
  const tile = CONV_TILES[variant.tile];
  return {
    kind: 'dispatch',
    shader: convShader(decode, variant),
    constants: {},
    bindings,
    workgroups: (batch) =>
      ceilDiv(batch * positionsPerSample, tilePositions(tile)) * ceilDiv(outChannels, tileChannels(tile)),
  };
}

/** The uniform `LinearShape` of shaders/linear.wgsl. */
function shapeOf(geometry: LinearGeometry, outChannels: number, hasResidual: boolean): Uint32Array {
  const { channels, height, width, outHeight, outWidth, kernel, stride, padding } = geometry;
  const columns = channels * kernel[0] * kernel[1];
  return Uint32Array.from([
    channels, height, width, outChannels,
    outHeight, outWidth, kernel[0], kernel[1],
    stride[0], stride[1], padding[0], padding[1],
    columns, ceilDiv(columns, COLUMNS_PER_WORD), geometry.activation === 'relu' ? 1 : 0, hasResidual ? 1 : 0,
  ]);
}

/** [multiplier; bias]: the effective per-channel multiplier alpha·scale, computed once on the host. */
function epilogueOf(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, outChannels: number): Float32Array {
  const alpha = optionalF32(node, tensors, 'alpha');
  const scale = optionalF32(node, tensors, 'scale');
  const bias = optionalF32(node, tensors, 'bias');
  const epilogue = new Float32Array(2 * outChannels);
  for (let o = 0; o < outChannels; o++) {
    const channelAlpha = alpha === undefined ? 1 : alpha.length === 1 ? alpha[0]! : alpha[o]!;
    epilogue[o] = channelAlpha * (scale?.[o] ?? 1);
    epilogue[outChannels + o] = bias?.[o] ?? 0;
  }
  return epilogue;
}

export function tensorOf(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, role: string): Tensor {
  const tensor = tensors.get(node.params[role] ?? '');
  if (tensor === undefined) throw new TwnFormatError('BAD_PARAM', `node "${node.name}" has no param "${role}"`);
  return tensor;
}

function optionalF32(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, role: string): Float32Array | undefined {
  return node.params[role] === undefined ? undefined : (tensorOf(node, tensors, role).data as Float32Array);
}

/** GEMV workgroups for a dense layer: GEMV_SAMPLES samples × gemvRows(slices) output rows each. */
export function gemvWorkgroups(batch: number, outChannels: number, slices: GemvSlices): number {
  return ceilDiv(batch, GEMV_SAMPLES) * ceilDiv(outChannels, gemvRows(slices));
}
