/**
 * One handler per supported ONNX operator: it reads the node's inputs through the Lowering (constants, the
 * normalised input, `.twn` values) and emits the `.twn` node(s) of docs/FORMAT.md §4, or folds the node away.
 */
import { foldElementwise, reshapeDims, transpose, constantTensor, type Elementwise } from './constants.js';
import type { Lowering } from './lower.js';
import type { OnnxAttribute, OnnxNode, OnnxTensor } from './onnx.js';

type Handler = (lowering: Lowering, node: OnnxNode) => void;

const INT64 = 7;

function intsAttribute(
  lowering: Lowering,
  node: OnnxNode,
  name: string,
  fallback: readonly number[],
): readonly number[] {
  const value = node.attributes.get(name);
  if (value === undefined) return fallback;
  if (!Array.isArray(value))
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `attribute ${name} is not a list of integers`);
  return value as readonly number[];
}

function numberAttribute(lowering: Lowering, node: OnnxNode, name: string, fallback: number): number {
  const value = node.attributes.get(name);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value))
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `attribute ${name} is not a number`);
  return value;
}

function stringAttribute(lowering: Lowering, node: OnnxNode, name: string, fallback: string): string {
  const value = node.attributes.get(name);
  if (value === undefined) return fallback;
  if (typeof value !== 'string') lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `attribute ${name} is not a string`);
  return value;
}

function requireValue(lowering: Lowering, node: OnnxNode, name: string, actual: number, expected: number): void {
  if (actual !== expected)
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `${name} = ${actual} is not supported (only ${expected})`);
}

/** The 2-D window attributes shared by Conv, MaxPool and AveragePool: symmetric pads, no dilation, no auto_pad. */
function window(
  lowering: Lowering,
  node: OnnxNode,
  kernel: readonly number[],
): { stride: number[]; padding: number[] } {
  if (kernel.length !== 2)
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `a ${kernel.length}-D window; only 2-D (images) is supported`);
  const autoPad = stringAttribute(lowering, node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') {
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `auto_pad = ${autoPad}; give explicit symmetric pads instead`);
  }
  const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : intsAttribute(lowering, node, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) {
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `pads [${pads.join(', ')}] are not the same on both sides`);
  }
  if (intsAttribute(lowering, node, 'dilations', [1, 1]).some((d) => d !== 1)) {
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', 'dilated windows are not supported');
  }
  return { stride: [...intsAttribute(lowering, node, 'strides', [1, 1])], padding: [pads[0]!, pads[1]!] };
}

const conv: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  const weight = lowering.constant(node, 1);
  requireValue(lowering, node, 'group', numberAttribute(lowering, node, 'group', 1), 1);
  const kernel = weight.dims.slice(2);
  const declared = intsAttribute(lowering, node, 'kernel_shape', kernel);
  if (declared.join() !== kernel.join()) {
    lowering.fail(
      node,
      'MALFORMED_MODEL',
      `kernel_shape [${declared.join(', ')}] differs from the weight's [${kernel.join(', ')}]`,
    );
  }
  const { stride, padding } = window(lowering, node, kernel);
  const bias = lowering.optionalInput(node, 2) ? lowering.constant(node, 2).data : undefined;
  lowering.emitLayer(node, 'conv2d', input, weight.data, weight.dims, bias, { kernel, stride, padding });
};

const gemm: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  requireValue(lowering, node, 'transA', numberAttribute(lowering, node, 'transA', 0), 0);
  const b = lowering.constant(node, 1);
  if (b.dims.length !== 2) lowering.fail(node, 'MALFORMED_MODEL', `B has dims [${b.dims.join(', ')}], not a matrix`);
  // .twn dense weights are [O, K] like torch.nn.Linear, which is Gemm's B with transB = 1.
  const weight = numberAttribute(lowering, node, 'transB', 0) === 1 ? b : transpose(b);
  const alpha = numberAttribute(lowering, node, 'alpha', 1);
  const weights = alpha === 1 ? weight.data : weight.data.map((w) => Math.fround(alpha * w));
  const outputs = weight.dims[0]!;
  let bias: Float64Array | undefined;
  if (lowering.optionalInput(node, 2)) {
    const c = lowering.constant(node, 2);
    if (
      c.dims.slice(0, -1).some((size) => size !== 1) ||
      (c.dims.length > 0 && c.dims.at(-1) !== 1 && c.dims.at(-1) !== outputs)
    ) {
      lowering.fail(
        node,
        'UNSUPPORTED_PATTERN',
        `C has dims [${c.dims.join(', ')}]; a dense bias is one value per output`,
      );
    }
    const beta = numberAttribute(lowering, node, 'beta', 1);
    bias = Float64Array.from({ length: outputs }, (_, o) => beta * c.data[c.data.length === 1 ? 0 : o]!);
  }
  lowering.emitLayer(node, 'dense', input, weights, weight.dims, bias);
};

const matMul: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  const b = lowering.constant(node, 1);
  if (b.dims.length !== 2)
    lowering.fail(node, 'UNSUPPORTED_PATTERN', `the weight has dims [${b.dims.join(', ')}], not [K, O]`);
  const weight = transpose(b);
  lowering.emitLayer(node, 'dense', input, weight.data, weight.dims, undefined);
};

const batchNormalization: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  requireValue(lowering, node, 'training_mode', numberAttribute(lowering, node, 'training_mode', 0), 0);
  const roles = ['gamma', 'beta', 'mean', 'var'] as const;
  const params: Record<string, string> = {};
  roles.forEach((role, i) => {
    const name = `${node.name}.${role}`;
    lowering.tensors.set(name, {
      dtype: 'f32',
      shape: [lowering.constant(node, i + 1).data.length],
      data: Float32Array.from(lowering.constant(node, i + 1).data),
    });
    params[role] = name;
  });
  lowering.emit(node, 'batchnorm', [input], { epsilon: numberAttribute(lowering, node, 'epsilon', 1e-5) }, params);
};

function pool(op: 'maxpool' | 'avgpool'): Handler {
  return (lowering, node) => {
    const input = lowering.activation(node, 0);
    const kernel = intsAttribute(lowering, node, 'kernel_shape', []);
    const { stride, padding } = window(lowering, node, kernel);
    requireValue(lowering, node, 'ceil_mode', numberAttribute(lowering, node, 'ceil_mode', 0), 0);
    if (node.outputs.length > 1 && node.outputs[1] !== '')
      lowering.fail(node, 'UNSUPPORTED_PATTERN', 'MaxPool indices are not supported');
    if (
      op === 'avgpool' &&
      numberAttribute(lowering, node, 'count_include_pad', 0) === 1 &&
      padding.some((p) => p > 0)
    ) {
      lowering.fail(
        node,
        'UNSUPPORTED_ATTRIBUTE',
        'count_include_pad = 1 with padding; .twn average pooling excludes padded cells',
      );
    }
    lowering.emit(node, op, [input], { kernel: [...kernel], stride, padding });
  };
}

function unary(op: 'relu' | 'global_avgpool'): Handler {
  return (lowering, node) => lowering.emit(node, op, [lowering.activation(node, 0)]);
}

const flatten: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  const rank = lowering.shape(input).length;
  const axis = numberAttribute(lowering, node, 'axis', 1);
  if (axis !== 1 && axis !== 1 - rank)
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `axis = ${axis}; only flattening to [N, …] (axis 1)`);
  lowering.emit(node, 'flatten', [input]);
};

/** Input `index` as a list of sizes: an integer constant, or sizes read off an activation's shape. */
function sizesInput(
  lowering: Lowering,
  node: OnnxNode,
  index: number,
): { sizes: (number | 'batch')[]; scalar: boolean } {
  const value = lowering.input(node, index);
  if (value.kind === 'sizes') return { sizes: [...value.sizes], scalar: value.scalar };
  const tensor = lowering.constant(node, index);
  if (tensor.dims.length > 1) lowering.fail(node, 'UNSUPPORTED_PATTERN', `input ${index} is not a list of sizes`);
  return { sizes: [...tensor.data], scalar: tensor.dims.length === 0 };
}

/** Defines the node's output as these sizes: a constant when every size is known. */
function defineSizes(lowering: Lowering, node: OnnxNode, sizes: (number | 'batch')[], scalar: boolean): void {
  const known = sizes.every((size): size is number => size !== 'batch');
  const dims = scalar ? [] : [sizes.length];
  lowering.define(
    node.outputs[0]!,
    known
      ? { kind: 'constant', tensor: constantTensor(dims, Float64Array.from(sizes), INT64) }
      : { kind: 'sizes', sizes, scalar },
  );
}

const shape: Handler = (lowering, node) => {
  if (node.attributes.has('start') || node.attributes.has('end')) {
    lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', 'Shape with start/end is not supported');
  }
  const [, ...perSample] = lowering.shape(lowering.activation(node, 0));
  defineSizes(lowering, node, ['batch', ...perSample], false);
};

/** Gather of sizes (`x.size(0)`); Gather of anything else has no .twn counterpart. */
const gather: Handler = (lowering, node) => {
  const data = lowering.input(node, 0);
  if (data.kind !== 'sizes' || numberAttribute(lowering, node, 'axis', 0) !== 0) {
    return lowering.fail(node, 'UNSUPPORTED_PATTERN', 'Gather is supported only on the output of Shape, along axis 0');
  }
  const indices = lowering.constant(node, 1);
  const length = data.sizes.length;
  const sizes = [...indices.data].map((index) => data.sizes[index < 0 ? index + length : index]);
  if (sizes.some((size) => size === undefined)) lowering.fail(node, 'MALFORMED_MODEL', 'index out of range');
  defineSizes(lowering, node, sizes as (number | 'batch')[], indices.dims.length === 0);
};

/** Unsqueeze of a constant (folded) or of one size to a list of one. */
const unsqueeze: Handler = (lowering, node) => {
  const axes = lowering.optionalInput(node, 1)
    ? [...lowering.constant(node, 1).data]
    : intsAttribute(lowering, node, 'axes', []);
  const data = lowering.input(node, 0);
  if (data.kind === 'constant') {
    const rank = data.tensor.dims.length + axes.length;
    const inserted = new Set(axes.map((axis) => (axis < 0 ? axis + rank : axis)));
    const source = [...data.tensor.dims];
    const dims = Array.from({ length: rank }, (_, axis) => (inserted.has(axis) ? 1 : source.shift()!));
    lowering.define(node.outputs[0]!, {
      kind: 'constant',
      tensor: constantTensor(dims, data.tensor.data, data.tensor.dataType),
    });
    return;
  }
  if (data.kind !== 'sizes' || !data.scalar || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) {
    return lowering.fail(
      node,
      'UNSUPPORTED_PATTERN',
      'Unsqueeze is supported on constants and on one size (x.size(0))',
    );
  }
  defineSizes(lowering, node, [...data.sizes], false);
};

/** Concat of size lists (the target shape of a Reshape). */
const concat: Handler = (lowering, node) => {
  const axis = numberAttribute(lowering, node, 'axis', 0);
  if (axis !== 0 && axis !== -1) lowering.fail(node, 'UNSUPPORTED_PATTERN', 'Concat is supported only of size lists');
  const parts = node.inputs.map((_, index) => sizesInput(lowering, node, index));
  if (parts.some((part) => part.scalar)) lowering.fail(node, 'MALFORMED_MODEL', 'Concat of a scalar');
  defineSizes(
    lowering,
    node,
    parts.flatMap((part) => part.sizes),
    false,
  );
};

/**
 * A Reshape of an activation is supported when it is a flatten to [N, K] (the first size 0, −1, the batch size the
 * model was exported with, or the run-time batch size read off a Shape); of constants, it folds.
 */
const reshape: Handler = (lowering, node) => {
  const target = sizesInput(lowering, node, 1).sizes.map((size) => (size === 'batch' ? 0 : size));
  const data = lowering.input(node, 0);
  if (data.kind === 'constant') {
    const dims = lowering.folding(node, () => reshapeDims(data.tensor.dims, target));
    lowering.define(node.outputs[0]!, {
      kind: 'constant',
      tensor: constantTensor(dims, data.tensor.data, data.tensor.dataType),
    });
    return;
  }
  const input = lowering.activation(node, 0);
  const [, ...perSample] = lowering.shape(input);
  const width = perSample.reduce((a, b) => a * b, 1);
  const [batch, rest] = target;
  const keepsBatch =
    batch === 0 || (batch === -1 && rest === width) || (batch !== undefined && batch === lowering.exportBatch);
  if (target.length !== 2 || !keepsBatch || (rest !== -1 && rest !== width)) {
    lowering.fail(
      node,
      'UNSUPPORTED_PATTERN',
      `Reshape of [N, ${perSample.join(', ')}] to [${target.join(', ')}]: only a flatten to ` +
        `[N, ${width}] is supported (torch.flatten(x, 1) exports one)`,
    );
  }
  lowering.emit(node, 'flatten', [input]);
};

const softmax: Handler = (lowering, node) => {
  const input = lowering.activation(node, 0);
  const rank = lowering.shape(input).length;
  const axis = numberAttribute(lowering, node, 'axis', lowering.model.opset >= 13 ? -1 : 1);
  if (rank !== 2 || (axis !== 1 && axis !== -1)) {
    lowering.fail(
      node,
      'UNSUPPORTED_PATTERN',
      `Softmax over axis ${axis} of a rank-${rank} value; only over the classes of [N, K]`,
    );
  }
  lowering.emit(node, 'softmax', [input]);
};

function elementwise(op: Elementwise): Handler {
  return (lowering, node) => {
    const a = lowering.input(node, 0);
    const b = lowering.input(node, 1);
    const output = node.outputs[0]!;
    if (a.kind === 'constant' && b.kind === 'constant') {
      lowering.define(output, {
        kind: 'constant',
        tensor: lowering.folding(node, () => foldElementwise(op, a.tensor, b.tensor)),
      });
      return;
    }
    const commutes = op === 'Add' || op === 'Mul';
    const [dynamic, constant] =
      b.kind === 'constant'
        ? [a, b.tensor]
        : commutes && a.kind === 'constant'
          ? [b, a.tensor]
          : [undefined, undefined];
    if (dynamic?.kind === 'input') {
      // (x − mean)/std stays of that form:
      // Sub c → mean + c·std, Add c → mean − c·std, Div c → std·c, Mul c → std/c.
      const c = lowering.inputChannels(node, constant!);
      const mean = dynamic.mean.map((m, i) =>
        op === 'Sub' ? m + c[i]! * dynamic.std[i]! : op === 'Add' ? m - c[i]! * dynamic.std[i]! : m,
      );
      const std = dynamic.std.map((s, i) => (op === 'Div' ? s * c[i]! : op === 'Mul' ? s / c[i]! : s));
      lowering.define(output, { kind: 'input', mean, std });
      return;
    }
    if (dynamic?.kind === 'value') {
      if (lowering.foldIntoLayer(node, dynamic.name, op, constant!)) return;
      lowering.fail(
        node,
        'UNSUPPORTED_PATTERN',
        `${op} of an activation and a constant folds only into the bias or scale of the ` +
          'conv/dense layer right before it, per output channel, when nothing else reads that layer',
      );
    }
    if (op !== 'Add' || a.kind === 'constant' || b.kind === 'constant') {
      lowering.fail(node, 'UNSUPPORTED_PATTERN', `${op} of these inputs has no .twn counterpart`);
    }
    lowering.emit(node, 'add', [lowering.activation(node, 0), lowering.activation(node, 1)]);
  };
}

const identity: Handler = (lowering, node) => lowering.define(node.outputs[0]!, lowering.input(node, 0));

const constantNode: Handler = (lowering, node) => {
  const [name, value] = [...node.attributes][0] ?? [];
  const tensor = constantValue(name, value);
  if (tensor === undefined)
    return lowering.fail(node, 'UNSUPPORTED_ATTRIBUTE', `a Constant given as ${name ?? 'nothing'} is not supported`);
  lowering.define(node.outputs[0]!, { kind: 'constant', tensor });
};

function constantValue(name: string | undefined, value: OnnxAttribute | undefined): OnnxTensor | undefined {
  if (value === undefined) return undefined;
  if (name === 'value' && typeof value === 'object' && 'dims' in value) return value;
  if (name === 'value_float' && typeof value === 'number') return constantTensor([], Float64Array.of(value));
  if (name === 'value_int' && typeof value === 'number') return constantTensor([], Float64Array.of(value), INT64);
  if ((name === 'value_floats' || name === 'value_ints') && Array.isArray(value)) {
    return constantTensor([value.length], Float64Array.from(value as number[]), name === 'value_ints' ? INT64 : 1);
  }
  return undefined;
}

const transposeConstant: Handler = (lowering, node) => {
  const tensor = lowering.constant(node, 0);
  const perm = node.attributes.has('perm') ? intsAttribute(lowering, node, 'perm', []) : undefined;
  lowering.define(node.outputs[0]!, {
    kind: 'constant',
    tensor: lowering.folding(node, () => transpose(tensor, perm)),
  });
};

export const HANDLERS: Readonly<Record<string, Handler>> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  BatchNormalization: batchNormalization,
  Relu: unary('relu'),
  MaxPool: pool('maxpool'),
  AveragePool: pool('avgpool'),
  GlobalAveragePool: unary('global_avgpool'),
  Flatten: flatten,
  Reshape: reshape,
  Softmax: softmax,
  Add: elementwise('Add'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  Div: elementwise('Div'),
  Identity: identity,
  // Dropout is the identity at inference; its optional mask output is not supported by any reader here.
  Dropout: identity,
  Constant: constantNode,
  Transpose: transposeConstant,
  Shape: shape,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Concat: concat,
};
