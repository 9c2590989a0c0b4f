/**
 * The state of one conversion: what every ONNX value has become (a constant, the normalised input, or a `.twn`
 * value), the `.twn` nodes and tensors emitted so far, and the rules shared by the op handlers (ops.ts). Every node
 * is checked by its op's own definition (src/ops/) as it is emitted, so attribute and shape errors name the ONNX node.
 */
import { TwnConvertError, TwnFormatError, type ConvertErrorCode } from '../errors.js';
import type { StoredNode } from '../format/types.js';
import type { Attrs, Graph, GraphNode, InputSpec, Tensor } from '../graph/ir.js';
import { getOp } from '../ops/registry.js';
import { ConstantShapeError, perChannel } from './constants.js';
import type { OnnxModel, OnnxNode, OnnxTensor } from './onnx.js';
import { storeWeight, type WeightOptions, type WeightKind } from './weights.js';
import type { Granularity } from '../ternarize.js';

/** What an ONNX value is once its producer has been converted. */
export type LoweredValue =
  | { readonly kind: 'constant'; readonly tensor: OnnxTensor }
  /** The graph input after elementwise Sub/Div/Mul/Add by per-channel constants: (x − mean)/std. */
  | { readonly kind: 'input'; readonly mean: readonly number[]; readonly std: readonly number[] }
  | { readonly kind: 'value'; readonly name: string }
  /**
   * Sizes read off an activation's shape (Shape → Gather → Unsqueeze → Concat, which `x.view(x.size(0), -1)`
   * exports): 'batch' stands for the batch size, known only at run time. `scalar`: a rank-0 size (one Gather index).
   */
  | { readonly kind: 'sizes'; readonly sizes: readonly (number | 'batch')[]; readonly scalar: boolean };

/** One conv2d/dense layer of the converted model, for the report. */
export interface ConvertedLayer {
  readonly node: string;
  readonly op: 'conv2d' | 'dense';
  readonly shape: readonly number[];
  readonly weight: WeightKind;
  readonly granularity?: Granularity;
}

const INPUT_RANK = 4;

export class Lowering {
  readonly values = new Map<string, LoweredValue>();
  readonly nodes: StoredNode[] = [];
  readonly tensors = new Map<string, Tensor>();
  readonly layers: ConvertedLayer[] = [];
  /** Per-sample-plus-batch shape of every `.twn` value, batch 1. */
  private readonly shapes = new Map<string, number[]>();
  private readonly producers = new Map<string, StoredNode>();
  /** How many node inputs and graph outputs read each ONNX value. */
  private readonly readers = new Map<string, number>();
  private normalization: { mean: readonly number[]; std: readonly number[] } | undefined;
  private readonly inputName: string;
  private readonly channels: number;
  private readonly graphStub: Graph;
  /** The input's batch size when the model fixes it (Reshape targets may repeat it), else undefined. */
  readonly exportBatch: number | undefined;

  constructor(
    readonly model: OnnxModel,
    /** How to store the weight of the layer an ONNX node (named) computes. */
    private readonly weightOptions: (node: string) => WeightOptions,
    private readonly labels: readonly string[],
  ) {
    if (model.inputs.length !== 1) {
      throw new TwnConvertError(
        'UNSUPPORTED_PATTERN',
        `the graph has ${model.inputs.length} inputs ` +
          `(${model.inputs.map((input) => input.name).join(', ')}); a .twn model takes one image tensor`,
      );
    }
    const input = model.inputs[0]!;
    const [batch, channels, height, width] = input.dims;
    if (
      input.dims.length !== INPUT_RANK ||
      (channels !== 1 && channels !== 3) ||
      typeof height !== 'number' ||
      typeof width !== 'number'
    ) {
      throw new TwnConvertError(
        'UNSUPPORTED_PATTERN',
        `input "${input.name}" is [${input.dims.map((d) => d ?? '?').join(', ')}]; ` +
          'a .twn model takes images [N, C, H, W] with C = 1 (gray) or 3 (RGB) and H, W fixed',
      );
    }
    this.inputName = input.name;
    this.channels = channels;
    this.exportBatch = typeof batch === 'number' ? batch : undefined;
    this.values.set(input.name, {
      kind: 'input',
      mean: new Array<number>(channels).fill(0),
      std: new Array<number>(channels).fill(1),
    });
    this.shapes.set(input.name, [1, channels, height, width]);
    for (const [name, tensor] of model.initializers) this.values.set(name, { kind: 'constant', tensor });
    for (const node of model.nodes) for (const name of node.inputs) if (name !== '') this.count(name);
    for (const output of model.outputs) this.count(output.name);
    this.graphStub = { input: this.inputSpec(), nodes: [], outputs: [], tensors: this.tensors, metadata: {} };
  }

  private count(name: string): void {
    this.readers.set(name, (this.readers.get(name) ?? 0) + 1);
  }

  /** The input spec, with the normalisation the graph applies to its input (none when it applies none). */
  inputSpec(): InputSpec {
    const [, channels, height, width] = this.shapes.get(this.inputName)!;
    return {
      name: this.inputName,
      shape: [channels!, height!, width!],
      colorLayout: channels === 1 ? 'gray' : 'rgb',
      mean: this.normalization?.mean ?? new Array<number>(channels!).fill(0),
      std: this.normalization?.std ?? new Array<number>(channels!).fill(1),
      labels: this.labels,
    };
  }

  fail(node: OnnxNode, code: ConvertErrorCode, message: string): never {
    throw new TwnConvertError(code, `(${node.opType}) ${message}`, { node: node.name });
  }

  private lookup(node: OnnxNode, index: number): LoweredValue {
    const name = node.inputs[index];
    if (name === undefined || name === '') this.fail(node, 'MALFORMED_MODEL', `input ${index} is missing`);
    const value = this.values.get(name);
    if (value === undefined)
      this.fail(node, 'MALFORMED_MODEL', `input "${name}" is produced by no node, initializer or input`);
    return value;
  }

  optionalInput(node: OnnxNode, index: number): boolean {
    return node.inputs[index] !== undefined && node.inputs[index] !== '';
  }

  /** The raw lowered value of an input, for handlers that accept several kinds (elementwise ops, Identity). */
  input(node: OnnxNode, index: number): LoweredValue {
    return this.lookup(node, index);
  }

  /** Input `index` as a `.twn` value name; the (normalised) graph input becomes the input spec's normalisation. */
  activation(node: OnnxNode, index: number): string {
    const value = this.lookup(node, index);
    if (value.kind === 'constant' || value.kind === 'sizes') {
      this.fail(
        node,
        'UNSUPPORTED_PATTERN',
        `input "${node.inputs[index]}" is a ${value.kind === 'constant' ? 'constant' : 'shape'} where an activation ` +
          'is expected',
      );
    }
    if (value.kind === 'value') return value.name;
    this.useNormalization(node, value.mean, value.std);
    return this.inputName;
  }

  private useNormalization(node: OnnxNode, mean: readonly number[], std: readonly number[]): void {
    if (std.some((s) => !(s > 0) || !Number.isFinite(s)) || mean.some((m) => !Number.isFinite(m))) {
      this.fail(
        node,
        'UNSUPPORTED_PATTERN',
        'the input normalisation (x − mean)/std needs a finite mean and std > 0, ' +
          `got mean [${mean.join(', ')}], std [${std.join(', ')}]`,
      );
    }
    const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);
    if (this.normalization === undefined)
      this.normalization = { mean: mean.map(shortestFloat32), std: std.map(shortestFloat32) };
    else if (
      !same(this.normalization.mean, mean.map(shortestFloat32)) ||
      !same(this.normalization.std, std.map(shortestFloat32))
    ) {
      this.fail(
        node,
        'UNSUPPORTED_PATTERN',
        'the input is read with two different normalisations; a .twn model has one',
      );
    }
  }

  /** Input `index` as a constant tensor (an initializer, a Constant node, or a folded chain of them). */
  constant(node: OnnxNode, index: number): OnnxTensor {
    const value = this.lookup(node, index);
    if (value.kind !== 'constant') {
      this.fail(
        node,
        'UNSUPPORTED_PATTERN',
        `input "${node.inputs[index]}" is computed at run time; ` +
          'the converter needs it as a constant (an initializer)',
      );
    }
    return value.tensor;
  }

  /** The shape (batch 1) of a `.twn` value. */
  shape(name: string): readonly number[] {
    return this.shapes.get(name)!;
  }

  /** The ONNX value `output` is `value` (Identity, Dropout, folded constants, folded bias/scale). */
  define(output: string, value: LoweredValue): void {
    this.values.set(output, value);
  }

  /** Emits a `.twn` node computing ONNX value `node.outputs[0]`, checked by the op's own attribute and shape rules. */
  emit(
    node: OnnxNode,
    op: string,
    inputs: readonly string[],
    attrs: Attrs = {},
    params: Record<string, string> = {},
  ): void {
    const output = node.outputs[0]!;
    const stored: StoredNode = {
      name: this.uniqueNodeName(node.name),
      op,
      inputs: [...inputs],
      outputs: [output],
      attrs: { ...attrs },
      params,
    };
    const definition = getOp(op)!;
    try {
      const checked: GraphNode = { ...stored, attrs: definition.normalize(stored, this.tensors, '$') };
      const [shape] = definition.inferShapes(
        inputs.map((name) => this.shapes.get(name)!),
        checked,
        this.graphStub,
        '$',
      );
      this.shapes.set(output, shape!);
    } catch (error) {
      if (error instanceof TwnFormatError)
        this.fail(node, 'UNSUPPORTED_PATTERN', `as ${op}: ${error.message.replace(/ \(at \$[^)]*\)$/, '')}`);
      throw error;
    }
    this.nodes.push(stored);
    this.producers.set(output, stored);
    this.values.set(output, { kind: 'value', name: output });
  }

  private uniqueNodeName(name: string): string {
    const taken = new Set(this.nodes.map((node) => node.name));
    let unique = name;
    for (let i = 2; taken.has(unique); i++) unique = `${name}#${i}`;
    return unique;
  }

  /** Emits a conv2d or dense node with its weight stored ternary or f32 (weights.ts) and an optional bias. */
  emitLayer(
    node: OnnxNode,
    op: 'conv2d' | 'dense',
    input: string,
    weights: Float64Array,
    shape: readonly number[],
    bias: Float64Array | undefined,
    attrs: Attrs = {},
  ): void {
    const name = this.uniqueNodeName(node.name);
    const stored = storeWeight(weights, shape, this.weightOptions(node.name));
    const params: Record<string, string> = { weight: this.addTensor(`${name}.weight`, stored.weight) };
    if (stored.alpha !== undefined) params.alpha = this.addTensor(`${name}.alpha`, stored.alpha);
    if (bias !== undefined) params.bias = this.addTensor(`${name}.bias`, f32Tensor(bias));
    this.emit(node, op, [input], attrs, params);
    this.layers.push({
      node: name,
      op,
      shape,
      weight: stored.kind,
      ...(stored.granularity ? { granularity: stored.granularity } : {}),
    });
  }

  private addTensor(name: string, tensor: Tensor): string {
    this.tensors.set(name, tensor);
    return name;
  }

  /**
   * Folds `value op constant` into the conv2d/dense that produced `value` when nothing else reads it: an Add/Sub
   * becomes its bias, a Mul/Div its per-channel scale (and bias). Returns false when that does not apply.
   */
  foldIntoLayer(node: OnnxNode, value: string, op: 'Add' | 'Sub' | 'Mul' | 'Div', constant: OnnxTensor): boolean {
    const layer = this.producers.get(value);
    if (layer === undefined || (layer.op !== 'conv2d' && layer.op !== 'dense') || this.readers.get(value) !== 1)
      return false;
    const shape = this.shapes.get(value)!;
    const channels = shape[1]!;
    const values = perChannel(constant, channels, shape.length);
    if (values === undefined) return false;
    const read = (role: string, fallback: number) => {
      const tensor = layer.params[role] === undefined ? undefined : this.tensors.get(layer.params[role])!.data;
      return Float64Array.from({ length: channels }, (_, c) => tensor?.[c] ?? fallback);
    };
    const scale = read('scale', 1);
    const bias = read('bias', 0);
    for (let c = 0; c < channels; c++) {
      const v = values[c]!;
      if (op === 'Add') bias[c] = bias[c]! + v;
      else if (op === 'Sub') bias[c] = bias[c]! - v;
      else {
        const factor = op === 'Mul' ? v : 1 / v;
        scale[c] = scale[c]! * factor;
        bias[c] = bias[c]! * factor;
      }
    }
    layer.params.bias = this.addTensor(`${layer.name}.bias`, f32Tensor(bias));
    if (op === 'Mul' || op === 'Div') layer.params.scale = this.addTensor(`${layer.name}.scale`, f32Tensor(scale));
    this.define(node.outputs[0]!, { kind: 'value', name: value });
    return true;
  }

  /** The per-channel values of a constant broadcast against the input image, or a failure naming the node. */
  inputChannels(node: OnnxNode, constant: OnnxTensor): Float64Array {
    const values = perChannel(constant, this.channels, INPUT_RANK);
    if (values === undefined) {
      this.fail(
        node,
        'UNSUPPORTED_PATTERN',
        `the input is normalised by a constant of dims [${constant.dims.join(', ')}]; ` +
          `a .twn input spec holds one mean and std per channel (dims [1, ${this.channels}, 1, 1] or a scalar)`,
      );
    }
    return values;
  }

  /** Runs `fold`, turning a constant-shape problem into a failure naming the node. */
  folding<T>(node: OnnxNode, fold: () => T): T {
    try {
      return fold();
    } catch (error) {
      if (error instanceof ConstantShapeError) this.fail(node, 'UNSUPPORTED_PATTERN', error.message);
      throw error;
    }
  }

  /**
   * The `.twn` output list: each graph output must be an activation. A value reached through Identity/bias folding
   * under another name is renamed to the graph output's name, so callers see the names the ONNX model declares.
   */
  outputs(): string[] {
    const result: string[] = [];
    for (const { name } of this.model.outputs) {
      const value = this.values.get(name);
      if (value === undefined || value.kind !== 'value') {
        const what =
          value === undefined ? 'produced by no node' : value.kind === 'input' ? 'the input itself' : 'a constant';
        throw new TwnConvertError(
          'UNSUPPORTED_PATTERN',
          `graph output "${name}" is ${what}; a .twn output must be computed by a node`,
        );
      }
      if (value.name !== name && !result.includes(value.name)) this.renameValue(value.name, name);
      result.push((this.values.get(name) as { name: string }).name);
    }
    return result;
  }

  private renameValue(from: string, to: string): void {
    for (const node of this.nodes) {
      node.outputs = node.outputs.map((value) => (value === from ? to : value));
      node.inputs = node.inputs.map((value) => (value === from ? to : value));
    }
    this.producers.set(to, this.producers.get(from)!);
    this.producers.delete(from);
    for (const [onnxName, value] of this.values) {
      if (value.kind === 'value' && value.name === from) this.values.set(onnxName, { kind: 'value', name: to });
    }
  }
}

function f32Tensor(values: Float64Array): Tensor {
  return { dtype: 'f32', shape: [values.length], data: Float32Array.from(values) };
}

/**
 * The shortest decimal that rounds to the same float32: 0.1307 rather than 0.13070000708103180, so a mean written
 * as 0.1307 in the training code reads as 0.1307 in the input spec.
 */
function shortestFloat32(value: number): number {
  const single = Math.fround(value);
  if (single !== value) return value;
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return value;
}
