/**
 * The ONNX twin of a graph: an fp32 ONNX model (opset 17, dynamic batch) that computes what the graph computes, for
 * running peers (ONNX Runtime) on the same weights. Ternary weights are expanded to floats (α·scale·code per output
 * channel), the input spec's normalisation becomes Sub/Div, fused residuals and ReLUs become Add/Relu nodes. Pass
 * the optimized graph (`optimize`) to get BatchNorm folded as the runtime runs it; an unfolded batchnorm node becomes
 * BatchNormalization. Values keep their IR names, so the twin's input and outputs are named as the graph's.
 */
import { unpackTernary } from '../../src/format/ternary-pack.js';
import type { Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { batchnormStats } from '../../src/ops/batchnorm.js';
import { conv2dAttrs } from '../../src/ops/conv2d.js';
import { f32Param } from '../../src/ops/params.js';
import { poolAttrs } from '../../src/ops/pool.js';
import { normalizeAttrs } from '../../src/ops/normalize.js';
import { addAttrs } from '../../src/ops/add.js';
import { denseAttrs } from '../../src/ops/dense.js';
import { ModelProto } from '../../src/convert/onnx-schema.js';

const ONNX_IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1; // TensorProto.DataType and the tensor elem_type
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;
const ATTRIBUTE_FLOAT = 1;

type AttrValue = number | readonly number[] | { float: number };
/** A message as protobufjs's `fromObject` takes it: field names of src/convert/onnx-schema.ts (the converter's). */
type Message = Record<string, unknown>;

/** Accumulates the ONNX graph: nodes in order and float initializers. */
class OnnxGraphBuilder {
  readonly nodes: Message[] = [];
  readonly initializers: Message[] = [];
  private readonly used = new Set<string>();

  constructor(valueNames: Iterable<string>) {
    for (const name of valueNames) this.used.add(name);
  }

  /** A name no value or initializer has yet. */
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}#${i}`;
    this.used.add(name);
    return name;
  }

  constant(base: string, shape: readonly number[], values: Float32Array): string {
    const name = this.fresh(base);
    const rawData = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ dims: [...shape], dataType: FLOAT, name, rawData });
    return name;
  }

  node(opType: string, inputs: readonly string[], output: string, attrs: Record<string, AttrValue> = {}): string {
    const attribute = Object.entries(attrs).map(([name, value]) => onnxAttribute(name, value));
    this.nodes.push({ input: [...inputs], output: [output], name: this.fresh(`${output}/${opType}`), opType, attribute });
    return output;
  }
}

function onnxAttribute(name: string, value: AttrValue): Message {
  if (typeof value === 'number') return { name, i: value, type: ATTRIBUTE_INT };
  if ('float' in value) return { name, f: value.float, type: ATTRIBUTE_FLOAT };
  return { name, ints: [...value], type: ATTRIBUTE_INTS };
}

/** `weight[o, …]·α[o]·scale[o]` as fp32, the weight ONNX needs for `alpha·scale·Σ w·x`. */
function effectiveWeight(node: GraphNode, graph: Graph): { shape: readonly number[]; values: Float32Array } {
  const weight = graph.tensors.get(node.params.weight ?? '') as Tensor;
  const [outChannels = 0] = weight.shape;
  const alpha = f32Param(node, graph.tensors, 'alpha');
  const scale = f32Param(node, graph.tensors, 'scale');
  const signs = weight.dtype === 'ternary2' ? unpackTernary(weight.data as Uint32Array, weight.shape) : weight.data;
  const rowLength = signs.length / outChannels;
  const values = new Float32Array(signs.length);
  for (let o = 0; o < outChannels; o++) {
    const multiplier = (alpha === undefined ? 1 : alpha.length === 1 ? alpha[0]! : alpha[o]!) * (scale?.[o] ?? 1);
    for (let k = o * rowLength; k < (o + 1) * rowLength; k++) values[k] = multiplier * signs[k]!;
  }
  return { shape: weight.shape, values };
}

/** conv2d/dense: the linear op, then the fused residual Add and ReLU where the node has them. */
function linear(builder: OnnxGraphBuilder, node: GraphNode, graph: Graph, activation: string): void {
  const weight = effectiveWeight(node, graph);
  const inputs = [node.inputs[0]!, builder.constant(`${node.name}.weight`, weight.shape, weight.values)];
  const bias = f32Param(node, graph.tensors, 'bias');
  if (bias !== undefined) inputs.push(builder.constant(`${node.name}.bias`, [bias.length], bias));
  const output = node.outputs[0]!;
  const residual = node.inputs[1];
  const fused = residual !== undefined || activation === 'relu';
  let value = fused ? builder.fresh(`${output}/linear`) : output;
  if (node.op === 'conv2d') {
    const attrs = conv2dAttrs(node);
    builder.node('Conv', inputs, value, {
      kernel_shape: attrs.kernel,
      strides: attrs.stride,
      pads: [...attrs.padding, ...attrs.padding],
    });
  } else {
    builder.node('Gemm', inputs, value, { transB: 1 });
  }
  if (residual !== undefined) {
    const sum = activation === 'relu' ? builder.fresh(`${output}/residual`) : output;
    value = builder.node('Add', [value, residual], sum);
  }
  if (activation === 'relu') builder.node('Relu', [value], output);
}

function perChannel(values: readonly number[] | Float32Array): { shape: number[]; values: Float32Array } {
  return { shape: [1, values.length, 1, 1], values: Float32Array.from(values) };
}

function emit(builder: OnnxGraphBuilder, node: GraphNode, graph: Graph): void {
  const [x] = node.inputs as [string];
  const [y] = node.outputs as [string];
  switch (node.op) {
    case 'normalize': {
      const { mean, std } = normalizeAttrs(node);
      const m = perChannel(mean);
      const s = perChannel(std);
      const meanName = builder.constant(`${node.name}.mean`, m.shape, m.values);
      const centred = builder.node('Sub', [x, meanName], builder.fresh(`${y}/centred`));
      builder.node('Div', [centred, builder.constant(`${node.name}.std`, s.shape, s.values)], y);
      return;
    }
    case 'conv2d':
      linear(builder, node, graph, conv2dAttrs(node).activation);
      return;
    case 'dense':
      linear(builder, node, graph, denseAttrs(node).activation);
      return;
    case 'batchnorm': {
      const stats = batchnormStats(node, graph.tensors);
      const roles = { gamma: stats.gamma, beta: stats.beta, mean: stats.mean, var: stats.variance };
      const params = Object.entries(roles).map(([role, values]) =>
        builder.constant(`${node.name}.${role}`, [values.length], values),
      );
      builder.node('BatchNormalization', [x, ...params], y, { epsilon: { float: stats.epsilon } });
      return;
    }
    case 'maxpool':
    case 'avgpool': {
      const window = poolAttrs(node);
      const pads = [...window.padding, ...window.padding];
      const attrs = { kernel_shape: window.kernel, strides: window.stride, pads };
      if (node.op === 'maxpool') builder.node('MaxPool', [x], y, attrs);
      else builder.node('AveragePool', [x], y, { ...attrs, count_include_pad: 0 });
      return;
    }
    case 'add': {
      const relu = addAttrs(node).activation === 'relu';
      const sum = builder.node('Add', [x, node.inputs[1]!], relu ? builder.fresh(`${y}/sum`) : y);
      if (relu) builder.node('Relu', [sum], y);
      return;
    }
    case 'relu':
      builder.node('Relu', [x], y);
      return;
    case 'global_avgpool':
      builder.node('GlobalAveragePool', [x], y);
      return;
    case 'flatten':
      builder.node('Flatten', [x], y, { axis: 1 });
      return;
    case 'softmax':
      builder.node('Softmax', [x], y, { axis: 1 });
      return;
    default:
      throw new Error(`the ONNX twin has no mapping for op "${node.op}" (node "${node.name}")`);
  }
}

/** A float tensor value; `shape` entries are fixed extents or named (dynamic) dimensions; none: rank unknown. */
function valueInfo(name: string, shape?: readonly (number | string)[]): Message {
  const dim = shape?.map((extent) => (typeof extent === 'number' ? { dimValue: extent } : { dimParam: extent }));
  return { name, type: { tensorType: { elemType: FLOAT, ...(dim !== undefined && { shape: { dim } }) } } };
}

export interface TwinOptions {
  /**
   * 'from-input-spec' (default): the graph input is declared [N, C, H, W] and the outputs their shapes, N dynamic,
   * as exporters write them. 'unspecified': shapes are left to the run, for single-op graphs whose input spec is a
   * placeholder.
   */
  readonly inputShapes?: 'from-input-spec' | 'unspecified';
}

/** The graph's ONNX twin as model bytes. Its inputs are the values no node produces, its outputs the graph's. */
export function onnxTwin(graph: Graph, options: TwinOptions = {}): Uint8Array {
  const inputShapes = options.inputShapes ?? 'from-input-spec';
  const produced = new Set(graph.nodes.flatMap((node) => node.outputs));
  const free = [...new Set(graph.nodes.flatMap((node) => node.inputs))].filter((value) => !produced.has(value));
  const builder = new OnnxGraphBuilder([...produced, ...free]);
  for (const node of graph.nodes) emit(builder, node, graph);

  const input = free.map((value) => {
    const declared = inputShapes === 'from-input-spec' && value === graph.input.name;
    return valueInfo(value, declared ? ['N', ...graph.input.shape] : undefined);
  });
  const shapes = inputShapes === 'from-input-spec' ? inferShapes(graph, 1) : undefined;
  const output = graph.outputs.map((value) => {
    const perSample = shapes?.get(value)?.slice(1);
    return valueInfo(value, perSample === undefined ? undefined : ['N', ...perSample]);
  });
  const model = ModelProto.fromObject({
    irVersion: ONNX_IR_VERSION,
    producerName: 'twn-webgpu onnx twin',
    graph: { node: builder.nodes, name: 'twn', initializer: builder.initializers, input, output },
    opsetImport: [{ domain: '', version: OPSET }],
  });
  return ModelProto.encode(model).finish();
}
