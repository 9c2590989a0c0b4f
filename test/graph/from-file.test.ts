import { describe, expect, it } from 'vitest';
import type { FormatErrorCode } from '../../src/errors.js';
import { TwnFormatError } from '../../src/errors.js';
import type { TwnFile } from '../../src/format/types.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { f32 } from '../ops/helpers.js';
import { smallFile } from './fixtures.js';

function expectFormatError(file: TwnFile, code: FormatErrorCode, path?: string): TwnFormatError {
  let caught: unknown;
  try {
    graphFromFile(file);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TwnFormatError);
  const error = caught as TwnFormatError;
  expect(error.code, error.message).toBe(code);
  if (path !== undefined) expect(error.path, error.message).toBe(path);
  return error;
}

function broken(edit: (file: TwnFile) => void): TwnFile {
  const file = smallFile();
  edit(file);
  return file;
}

const node = (file: TwnFile, name: string) => file.nodes.find((n) => n.name === name)!;

describe('graphFromFile on a valid file', () => {
  it('prepends normalize, rewires the input, and defaults every attribute', () => {
    const graph = graphFromFile(smallFile());
    expect(graph.nodes.map((n) => n.op)).toEqual(['normalize', 'conv2d', 'batchnorm', 'relu', 'flatten', 'dense', 'softmax']);
    const [normalize, conv] = graph.nodes;
    expect(normalize).toMatchObject({ name: 'image#normalize', inputs: ['image'], outputs: ['image#normalized'], attrs: { mean: [0.5], std: [0.25] } });
    expect(conv!.inputs).toEqual(['image#normalized']);
    expect(conv!.attrs).toEqual({ kernel: [3, 3], stride: [1, 1], padding: [1, 1], activation: 'none' });
    expect(graph.nodes[2]!.attrs).toEqual({ epsilon: 1e-5 });
    expect(graph.nodes[5]!.attrs).toEqual({ activation: 'none' });
    expect(graph.input.name).toBe('image');
  });

  it('sorts nodes stored in any order (Kahn), keeping an ordered file as is', () => {
    const file = smallFile();
    file.nodes.reverse();
    expect(graphFromFile(file).nodes.map((n) => n.name)).toEqual(['image#normalize', 'conv1', 'bn1', 'relu1', 'flat', 'fc', 'softmax']);
  });

  it('made-up names cannot collide with names the file uses', () => {
    const file = smallFile();
    node(file, 'relu1').outputs = ['image#normalized'];
    node(file, 'flat').inputs = ['image#normalized'];
    node(file, 'bn1').name = 'image#normalize';
    const graph = graphFromFile(file);
    expect(graph.nodes[0]).toMatchObject({ name: 'image#normalize#2', outputs: ['image#normalized#2'] });
    expect(graph.nodes[1]!.inputs).toEqual(['image#normalized#2']);
    expect(graph.nodes.find((n) => n.name === 'flat')!.inputs).toEqual(['image#normalized']);
  });

  it('inferShapes gives every value its shape for any batch', () => {
    const shapes = inferShapes(graphFromFile(smallFile()), 3);
    expect(shapes.get('image')).toEqual([3, 1, 4, 4]);
    expect(shapes.get('image#normalized')).toEqual([3, 1, 4, 4]);
    expect(shapes.get('conv1')).toEqual([3, 2, 4, 4]);
    expect(shapes.get('flat')).toEqual([3, 32]);
    expect(shapes.get('probs')).toEqual([3, 3]);
  });
});

describe('graphFromFile rejects malformed graphs', () => {
  it('UNKNOWN_OP: an op not in the table, or the IR-only normalize', () => {
    expectFormatError(broken((f) => (node(f, 'relu1').op = 'gelu')), 'UNKNOWN_OP', '$.nodes[2].op');
    expectFormatError(broken((f) => (node(f, 'relu1').op = 'normalize')), 'UNKNOWN_OP', '$.nodes[2].op');
  });

  it('DUPLICATE_NAME: node names, values produced twice, a value named like the input', () => {
    expectFormatError(broken((f) => (node(f, 'relu1').name = 'conv1')), 'DUPLICATE_NAME', '$.nodes[2].name');
    expectFormatError(broken((f) => (node(f, 'relu1').outputs = ['bn1'])), 'DUPLICATE_NAME', '$.nodes[2].outputs[0]');
    expectFormatError(broken((f) => (node(f, 'conv1').outputs = ['image'])), 'DUPLICATE_NAME', '$.nodes[0].outputs[0]');
  });

  it('UNDEFINED_INPUT: an input nothing produces, a param naming no tensor', () => {
    expectFormatError(broken((f) => (node(f, 'flat').inputs = ['relu9'])), 'UNDEFINED_INPUT', '$.nodes[3].inputs[0]');
    expectFormatError(
      broken((f) => (node(f, 'fc').params.alpha = 'fc.alpha2')),
      'UNDEFINED_INPUT',
      '$.nodes[4].params.alpha',
    );
  });

  it('UNUSED_TENSOR: a tensor no node uses', () => {
    expectFormatError(broken((f) => f.tensors.set('stray.bias', f32([0], [1]))), 'UNUSED_TENSOR', '$.tensors["stray.bias"]');
  });

  it('CYCLE: nodes that depend on each other, including a self-loop', () => {
    const error = expectFormatError(broken((f) => (node(f, 'conv1').inputs = ['relu1'])), 'CYCLE', '$.nodes[0]');
    expect(error.message).toContain('"bn1"');
    expectFormatError(broken((f) => (node(f, 'relu1').inputs = ['relu1'])), 'CYCLE', '$.nodes[2]');
  });

  it('BAD_ATTRIBUTE: out of range, unknown, missing, wrong type, kernel ≠ weight', () => {
    const conv = (f: TwnFile) => node(f, 'conv1');
    expectFormatError(broken((f) => (conv(f).attrs.stride = [0, 1])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.stride');
    expectFormatError(broken((f) => (conv(f).attrs.stride = [9, 1])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.stride');
    expectFormatError(broken((f) => (conv(f).attrs.padding = [3, 1])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.padding');
    expectFormatError(broken((f) => (conv(f).attrs.padding = [1.5, 1])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.padding');
    expectFormatError(broken((f) => (conv(f).attrs.dilation = [1, 1])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.dilation');
    expectFormatError(broken((f) => delete conv(f).attrs.kernel), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.kernel');
    expectFormatError(broken((f) => (conv(f).attrs = { kernel: [1, 1] })), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.kernel');
    expectFormatError(broken((f) => (conv(f).attrs.kernel = [16, 16])), 'BAD_ATTRIBUTE', '$.nodes[0].attrs.kernel');
    expectFormatError(broken((f) => (node(f, 'fc').attrs.activation = 'gelu')), 'BAD_ATTRIBUTE', '$.nodes[4].attrs.activation');
    expectFormatError(broken((f) => (node(f, 'bn1').attrs.epsilon = 0)), 'BAD_ATTRIBUTE', '$.nodes[1].attrs.epsilon');
    expectFormatError(broken((f) => (node(f, 'relu1').attrs.activation = 'none')), 'BAD_ATTRIBUTE', '$.nodes[2].attrs.activation');
  });

  it('BAD_PARAM: role missing or unknown, wrong dtype or shape, alpha rules', () => {
    const fc = (f: TwnFile) => node(f, 'fc');
    expectFormatError(
      broken((f) => {
        delete fc(f).params.alpha;
        f.tensors.delete('fc.alpha');
      }),
      'BAD_PARAM',
      '$.nodes[4].params.alpha',
    );
    expectFormatError(
      broken((f) => {
        delete node(f, 'bn1').params.var;
        f.tensors.delete('bn1.var');
      }),
      'BAD_PARAM',
      '$.nodes[1].params.var',
    );
    expectFormatError(broken((f) => (fc(f).params.shift = 'fc.alpha')), 'BAD_PARAM', '$.nodes[4].params.shift');
    expectFormatError(broken((f) => f.tensors.set('fc.alpha', f32([1, 1], [2]))), 'BAD_PARAM', '$.nodes[4].params.alpha');
    expectFormatError(broken((f) => f.tensors.set('bn1.var', f32([1, 1, 1], [3]))), 'BAD_PARAM', '$.nodes[1].params.var');
    expectFormatError(broken((f) => f.tensors.set('bn1.var', f32([1, -1], [2]))), 'BAD_PARAM', '$.nodes[1].params.var');
    expectFormatError(
      broken((f) => f.tensors.set('fc.weight', f32(new Array(96).fill(0.1), [3, 32]))),
      'BAD_PARAM',
      '$.nodes[4].params.alpha',
    );
    expectFormatError(
      broken((f) => {
        fc(f).params.bias = 'fc.bias';
        f.tensors.set('fc.bias', f32([0, 0], [2]));
      }),
      'BAD_PARAM',
      '$.nodes[4].params.bias',
    );
    expectFormatError(
      broken((f) => f.tensors.set('bn1.gamma', { dtype: 'ternary2', shape: [2, 1], data: new Uint32Array(2) })),
      'BAD_PARAM',
      '$.nodes[1].params.gamma',
    );
  });

  it('SHAPE_MISMATCH: dense width, conv channels, add operands, output smaller than 1×1', () => {
    expectFormatError(
      broken((f) => {
        node(f, 'conv1').attrs.padding = [0, 0]; // 4×4 → 2×2, so flatten gives 8 features, the dense wants 32
      }),
      'SHAPE_MISMATCH',
      '$.nodes[4]',
    );
    expectFormatError(
      broken((f) => {
        f.input = { ...f.input, shape: [3, 4, 4], colorLayout: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] };
      }),
      'SHAPE_MISMATCH',
      '$.nodes[0]',
    );
    expectFormatError(
      broken((f) => {
        f.nodes.push({ name: 'sum', op: 'add', inputs: ['conv1', 'logits'], outputs: ['sum'], attrs: {}, params: {} });
      }),
      'SHAPE_MISMATCH',
      '$.nodes[6]',
    );
    expectFormatError(
      broken((f) => {
        f.nodes.push({ name: 'pool', op: 'maxpool', inputs: ['relu1'], outputs: ['pooled'], attrs: { kernel: [5, 5], padding: [0, 0] }, params: {} });
      }),
      'SHAPE_MISMATCH',
      '$.nodes[6]',
    );
  });

  it('VALUE_TOO_LARGE: an input or a node output over 2^26 elements per sample, before any later shape error', () => {
    const input = (f: TwnFile, height: number, width: number) => (f.input = { ...f.input, shape: [1, height, width] });
    expectFormatError(broken((f) => input(f, 8192, 8193)), 'VALUE_TOO_LARGE', '$.input.shape');
    expectFormatError(broken((f) => input(f, 2 ** 26, 2 ** 26)), 'VALUE_TOO_LARGE', '$.input.shape');
    // 6000² = 36M input values are allowed; conv1's 2 channels make 72M, reported at conv1 rather than at fc's width.
    expectFormatError(broken((f) => input(f, 6000, 6000)), 'VALUE_TOO_LARGE', '$.nodes[0]');
    // At the limit is allowed: the error is then fc's width, as for any other input size that does not fit.
    expectFormatError(broken((f) => input(f, 4096, 8192)), 'SHAPE_MISMATCH', '$.nodes[4]');
  });

  it('BAD_OUTPUT: an output no node produces, or the raw input', () => {
    expectFormatError(broken((f) => (f.outputs = ['probs', 'nothing'])), 'BAD_OUTPUT', '$.outputs[1]');
    expectFormatError(broken((f) => (f.outputs = ['image'])), 'BAD_OUTPUT', '$.outputs[0]');
    expectFormatError(broken((f) => (f.outputs = ['probs', 'probs'])), 'BAD_OUTPUT', '$.outputs[1]');
  });

  it('SCHEMA: a file node with the wrong number of inputs (residual is IR-only)', () => {
    expectFormatError(broken((f) => (node(f, 'conv1').inputs = ['image', 'image'])), 'SCHEMA', '$.nodes[0].inputs');
    expectFormatError(broken((f) => (node(f, 'relu1').outputs = ['relu1', 'relu1b'])), 'SCHEMA', '$.nodes[2].outputs');
  });
});
