import { TwnFormatError } from '../../../errors.js';
import type { Activation, GraphNode, Tensor } from '../../../graph/ir.js';
import {
  ceilDiv,
  INVOCATIONS_PER_WORKGROUP,
  windowConstants,
  type Binding,
  type DispatchPlan,
  type KernelContext,
} from '../kernel.js';
import type { WindowGeometry } from '../../../ops/window.js';
import { FLOAT_CONV_SHADER, TERNARY_CONV_SHADER } from '../shaders.js';

// Must match CHANNELS_PER_THREAD and POSITIONS_PER_THREAD in shaders/conv2d.wgsl.
const CHANNELS_PER_THREAD = 4;
const POSITIONS_PER_THREAD = 4;

/** A convolution's geometry; dense is the 1×1 case on a 1×1 image with C = K. */
export interface LinearGeometry extends WindowGeometry {
  readonly channels: number;
  readonly activation: Activation;
}

/** conv2d and dense: one dispatch computing act(α·scale·Σ ±x + bias (+ residual)). */
export function linearPlan(context: KernelContext, geometry: LinearGeometry): DispatchPlan {
  const { node, graph } = context;
  const weight = tensorOf(node, graph.tensors, 'weight');
  const outChannels = weight.shape[0]!;
  const positionsPerSample = geometry.outHeight * geometry.outWidth;
  const threadsAlongPositions = threadsAlongPositionsFor(positionsPerSample);
  const positionsPerGroup = threadsAlongPositions * POSITIONS_PER_THREAD;
  const channelsPerGroup = (INVOCATIONS_PER_WORKGROUP / threadsAlongPositions) * CHANNELS_PER_THREAD;
  const hasResidual = node.inputs.length > 1;
  const bindings: Binding[] = [
    { kind: 'input', index: 0 },
    hasResidual ? { kind: 'input', index: 1 } : { kind: 'placeholder' },
    { kind: 'param', role: 'epilogue', data: epilogueOf(node, graph.tensors, outChannels) },
    { kind: 'param', role: 'weight', data: weight.data },
  ];
  return {
    kind: 'dispatch',
    shader: weight.dtype === 'ternary2' ? TERNARY_CONV_SHADER : FLOAT_CONV_SHADER,
    constants: {
      ...windowConstants(geometry),
      C: geometry.channels,
      O: outChannels,
      THREADS_ALONG_POSITIONS: threadsAlongPositions,
      RELU: geometry.activation === 'relu' ? 1 : 0,
      HAS_RESIDUAL: hasResidual ? 1 : 0,
    },
    bindings,
    workgroups: (batch) => ceilDiv(batch * positionsPerSample, positionsPerGroup) * ceilDiv(outChannels, channelsPerGroup),
  };
}

/** Few positions per sample (late layers, dense) → spread the workgroup over channels instead. */
function threadsAlongPositionsFor(positionsPerSample: number): number {
  let threads = INVOCATIONS_PER_WORKGROUP;
  while (threads > 1 && (threads / 2) * POSITIONS_PER_THREAD >= positionsPerSample) threads /= 2;
  return threads;
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
