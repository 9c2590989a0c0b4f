/**
 * Malformed or unsupported ONNX models fail with a TwnConvertError whose code says what is wrong and whose `node`
 * names the ONNX node at fault. Each case is the shipped LeNet-5 twin with one thing changed (onnx-edits.ts).
 */
import { describe, expect, it } from 'vitest';
import { convertOnnx, TwnConvertError, type ConvertErrorCode } from '../../src/convert/index.js';
import {
  ATTRIBUTE,
  editedLeNet,
  floatTensor,
  initializerNamed,
  int64Tensor,
  node,
  nodeNamed,
  type ModelMessage,
} from './onnx-edits.js';

function expectFailure(bytes: Uint8Array, code: ConvertErrorCode, nodeName: string | undefined, message: RegExp): void {
  let error: unknown;
  try {
    convertOnnx(bytes);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(TwnConvertError);
  const convertError = error as TwnConvertError;
  expect(convertError.code).toBe(code);
  expect(convertError.node).toBe(nodeName);
  expect(convertError.message).toMatch(message);
  if (nodeName !== undefined) expect(convertError.message).toContain(`node "${nodeName}"`);
}

const CONV1 = '/model/body/conv1/conv/Conv';
const CONV2 = '/model/body/conv2/conv/Conv';
const setAttribute = (model: ModelMessage, nodeName: string, name: string, value: number | number[]) => {
  const target = nodeNamed(model, nodeName);
  target.attribute = target.attribute.filter((attribute) => attribute.name !== name);
  target.attribute.push(
    Array.isArray(value) ? { name, type: ATTRIBUTE.INTS, ints: value } : { name, type: ATTRIBUTE.INT, i: value },
  );
};

describe('convertOnnx rejects', () => {
  it('bytes that are not protobuf, and a protobuf without a graph (ONNX_DECODE)', () => {
    expectFailure(Uint8Array.of(0x3a, 0xff, 0xff, 0x01), 'ONNX_DECODE', undefined, /not an ONNX model/);
    expectFailure(new TextEncoder().encode('TWN!'), 'ONNX_DECODE', undefined, /not an ONNX model/);
    expectFailure(new Uint8Array(0), 'ONNX_DECODE', undefined, /no graph/);
  });

  it('an operator with no .twn counterpart, or from another domain (UNSUPPORTED_OP)', () => {
    const sigmoid = editedLeNet((model) => (nodeNamed(model, '/model/body/conv1/Relu').opType = 'Sigmoid'));
    expectFailure(
      sigmoid,
      'UNSUPPORTED_OP',
      '/model/body/conv1/Relu',
      /\(Sigmoid\) has no \.twn counterpart; supported: Conv, Gemm/,
    );
    const custom = editedLeNet((model) => (nodeNamed(model, '/model/body/conv1/Relu').domain = 'com.example'));
    expectFailure(custom, 'UNSUPPORTED_OP', '/model/body/conv1/Relu', /domain "com\.example"/);
  });

  it('grouped, dilated or asymmetrically padded convolutions and ceil-mode pooling (UNSUPPORTED_ATTRIBUTE)', () => {
    expectFailure(
      editedLeNet((model) => setAttribute(model, CONV2, 'group', 2)),
      'UNSUPPORTED_ATTRIBUTE',
      CONV2,
      /group = 2/,
    );
    expectFailure(
      editedLeNet((model) => setAttribute(model, CONV2, 'dilations', [2, 2])),
      'UNSUPPORTED_ATTRIBUTE',
      CONV2,
      /dilated/,
    );
    expectFailure(
      editedLeNet((model) => setAttribute(model, CONV1, 'pads', [0, 0, 1, 1])),
      'UNSUPPORTED_ATTRIBUTE',
      CONV1,
      /pads \[0, 0, 1, 1\] are not the same on both sides/,
    );
    const pool = '/model/body/pool1/MaxPool';
    expectFailure(
      editedLeNet((model) => setAttribute(model, pool, 'ceil_mode', 1)),
      'UNSUPPORTED_ATTRIBUTE',
      pool,
      /ceil_mode = 1/,
    );
  });

  it('a run-time weight, a reshape that is no flatten, a non-per-channel normalisation (UNSUPPORTED_PATTERN)', () => {
    const runtimeWeight = editedLeNet((model) => (nodeNamed(model, CONV1).input[1] = '/model/normalize/Sub_output_0'));
    expectFailure(runtimeWeight, 'UNSUPPORTED_PATTERN', CONV1, /computed at run time/);

    const reshape = editedLeNet((model) => {
      const flatten = nodeNamed(model, '/model/body/flatten/Flatten');
      Object.assign(flatten, node(flatten.name, 'Reshape', [flatten.input[0]!, 'target'], flatten.output));
      model.graph.initializer.push(int64Tensor('target', [-1, 512]));
    });
    expectFailure(reshape, 'UNSUPPORTED_PATTERN', '/model/body/flatten/Flatten', /only a flatten to \[N, 1024\]/);

    const pixelMean = editedLeNet((model) =>
      Object.assign(
        initializerNamed(model, 'model.normalize.mean'),
        floatTensor('model.normalize.mean', [1, 1, 28, 28], new Float32Array(784).fill(0.1)),
      ),
    );
    expectFailure(pixelMean, 'UNSUPPORTED_PATTERN', '/model/normalize/Sub', /one mean and std per channel/);

    const gather = editedLeNet((model) => {
      model.graph.node.unshift(node('pick', 'Gather', ['model.body.fc2.bias', 'index'], ['picked']));
      model.graph.initializer.push(int64Tensor('index', [0]));
    });
    expectFailure(gather, 'UNSUPPORTED_PATTERN', 'pick', /Gather is supported only on the output of Shape/);
  });

  it('a layer whose weight does not fit its input, reported by the op rules under the ONNX node name', () => {
    const wide = editedLeNet((model) =>
      Object.assign(
        initializerNamed(model, 'onnx::MatMul_45'),
        floatTensor('onnx::MatMul_45', [1000, 512], new Float32Array(1000 * 512).fill(0.5)),
      ),
    );
    expectFailure(wide, 'UNSUPPORTED_PATTERN', '/model/body/fc1/fc/MatMul', /as dense: .*1000/);
  });

  it('a reference to a value nothing produces, and tensor data that does not fit its dims (MALFORMED_MODEL)', () => {
    const dangling = editedLeNet((model) => (nodeNamed(model, '/model/body/conv1/Relu').input[0] = 'nowhere'));
    expectFailure(dangling, 'MALFORMED_MODEL', '/model/body/conv1/Relu', /input "nowhere" is produced by no node/);
    const short = editedLeNet((model) =>
      Object.assign(
        initializerNamed(model, 'model.body.fc2.bias'),
        floatTensor('model.body.fc2.bias', [10], [1, 2, 3]),
      ),
    );
    expectFailure(short, 'MALFORMED_MODEL', 'model.body.fc2.bias', /3 values for dims \[10\]/);
    // dims claiming 2^40 elements: reported from the sizes alone, nothing of that size allocated.
    const huge = editedLeNet((model) => {
      const bias = initializerNamed(model, 'model.body.fc2.bias');
      Object.assign(bias, floatTensor(bias.name, [2 ** 40], [1, 2, 3]));
    });
    expectFailure(huge, 'MALFORMED_MODEL', 'model.body.fc2.bias', /3 values for dims \[1099511627776\]/);
  });

  it('element types it does not read, and weights in external files (UNSUPPORTED_DTYPE)', () => {
    const half = editedLeNet((model) =>
      Object.assign(initializerNamed(model, 'model.body.fc2.bias'), {
        dataType: 10,
        rawData: new Uint8Array(20),
        floatData: [],
      }),
    );
    expectFailure(half, 'UNSUPPORTED_DTYPE', 'model.body.fc2.bias', /float16/);
    const external = editedLeNet((model) =>
      Object.assign(initializerNamed(model, 'model.body.fc2.bias'), { dataLocation: 1 }),
    );
    expectFailure(external, 'UNSUPPORTED_DTYPE', 'model.body.fc2.bias', /external file/);
  });
});
