import { describe, expect, it } from 'vitest';
import { readTwnFile } from '../../src/format/reader.js';
import type { TwnFile } from '../../src/format/types.js';
import { writeTwnFile } from '../../src/format/writer.js';
import {
  BATCHNORM_EPSILON,
  buildLeNet5,
  buildLeNet5File,
  buildResNet18File,
  buildVgg7,
  buildVgg7File,
} from '../../src/models/index.js';

const shapes = (file: TwnFile) => Object.fromEntries([...file.tensors].map(([name, t]) => [name, [t.dtype, ...t.shape].join(' ')]));
const ops = (file: TwnFile) => file.nodes.map((n) => n.op);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);
/** Parameters as a float model counts them: every tensor but the TWN scaling factors α. */
const parameterCount = (file: TwnFile) =>
  [...file.tensors].filter(([name]) => !name.endsWith('.alpha')).reduce((sum, [, t]) => sum + t.shape.reduce((a, b) => a * b, 1), 0);

describe('LeNet-5', () => {
  it('has the paper topology with folded BatchNorm, and reads back', () => {
    const bytes = buildLeNet5({ seed: 1, granularity: 'per-layer' });
    const file = readTwnFile(bytes);
    expect(ops(file)).toEqual(['conv2d', 'relu', 'maxpool', 'conv2d', 'relu', 'maxpool', 'flatten', 'dense', 'relu', 'dense']);
    expect(shapes(file)).toEqual({
      'conv1.weight': 'ternary2 32 1 5 5',
      'conv1.alpha': 'f32 1',
      'conv1.scale': 'f32 32',
      'conv1.bias': 'f32 32',
      'conv2.weight': 'ternary2 64 32 5 5',
      'conv2.alpha': 'f32 1',
      'conv2.scale': 'f32 64',
      'conv2.bias': 'f32 64',
      'fc1.weight': 'ternary2 512 1024',
      'fc1.alpha': 'f32 1',
      'fc1.scale': 'f32 512',
      'fc1.bias': 'f32 512',
      'fc2.weight': 'ternary2 10 512',
      'fc2.alpha': 'f32 1',
      'fc2.bias': 'f32 10',
    });
    expect(file.input).toEqual({ name: 'image', shape: [1, 28, 28], colorLayout: 'gray', mean: [0.1307], std: [0.3081], labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(file.outputs).toEqual(['logits']);
    expect(file.metadata).toMatchObject({ architecture: 'lenet5', trained: false, granularity: 'per-layer', fullPrecisionLayers: [] });
  });

  it('is deterministic by seed', () => {
    expect(sameBytes(buildLeNet5({ seed: 5 }), buildLeNet5({ seed: 5 }))).toBe(true);
    expect(sameBytes(buildLeNet5({ seed: 5 }), buildLeNet5({ seed: 6 }))).toBe(false);
  });

  it('per channel: one α per output channel', () => {
    const file = buildLeNet5File({ seed: 1, granularity: 'per-channel', numClasses: 4 });
    expect(file.tensors.get('conv2.alpha')!.shape).toEqual([64]);
    expect(file.tensors.get('fc2.alpha')!.shape).toEqual([4]);
    expect(file.input.labels).toEqual(['class 0', 'class 1', 'class 2', 'class 3']);
    expect(file.metadata.granularity).toBe('per-channel');
  });

  it('keeps the first and last layers f32 when asked', () => {
    const file = buildLeNet5File({ seed: 1, fullPrecisionFirstLast: true });
    expect(file.tensors.get('conv1.weight')!.dtype).toBe('f32');
    expect(file.tensors.get('fc2.weight')!.dtype).toBe('f32');
    expect(file.tensors.has('conv1.alpha')).toBe(false);
    expect(file.tensors.get('conv2.weight')!.dtype).toBe('ternary2');
    expect(file.metadata.fullPrecisionLayers).toEqual(['conv1', 'fc2']);
    readTwnFile(writeTwnFile(file));
  });

  it('unfolded BatchNorm: explicit batchnorm nodes whose fold (FORMAT.md §6) gives the folded file', () => {
    const folded = buildLeNet5File({ seed: 9, granularity: 'per-channel' });
    const unfolded = readTwnFile(buildLeNet5({ seed: 9, granularity: 'per-channel', foldBatchNorm: false }));
    expect(ops(unfolded)).toEqual(['conv2d', 'batchnorm', 'relu', 'maxpool', 'conv2d', 'batchnorm', 'relu', 'maxpool', 'flatten', 'dense', 'batchnorm', 'relu', 'dense']);
    const bn = unfolded.nodes.find((n) => n.name === 'conv1.bn')!;
    expect(bn).toEqual({
      name: 'conv1.bn',
      op: 'batchnorm',
      inputs: ['conv1'],
      outputs: ['conv1.bn'],
      attrs: { epsilon: BATCHNORM_EPSILON },
      params: { gamma: 'conv1.bn.gamma', beta: 'conv1.bn.beta', mean: 'conv1.bn.mean', var: 'conv1.bn.var' },
    });
    for (const layer of ['conv1', 'conv2', 'fc1']) {
      const get = (file: TwnFile, name: string) => file.tensors.get(name)!.data;
      expect(get(unfolded, `${layer}.weight`)).toEqual(get(folded, `${layer}.weight`));
      expect(get(unfolded, `${layer}.alpha`)).toEqual(get(folded, `${layer}.alpha`));
      const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'var'].map((p) => get(unfolded, `${layer}.bn.${p}`)!);
      const s = Float64Array.from(gamma!, (g, o) => g / Math.sqrt(variance![o]! + BATCHNORM_EPSILON));
      expect(get(folded, `${layer}.scale`)).toEqual(Float32Array.from(s));
      expect(get(folded, `${layer}.bias`)).toEqual(Float32Array.from(s, (so, o) => -mean![o]! * so + beta![o]!));
    }
    expect(unfolded.tensors.get('fc2.bias')!.data).toEqual(folded.tensors.get('fc2.bias')!.data);
  });
});

describe('VGG-7', () => {
  it('has the paper widths at multiplier 1', () => {
    const file = readTwnFile(buildVgg7({ seed: 2 }));
    const weights = [...file.tensors].filter(([name]) => name.endsWith('.weight')).map(([name, t]) => `${name} ${t.shape.join('×')}`);
    expect(weights).toEqual([
      'conv1.weight 128×3×3×3',
      'conv2.weight 128×128×3×3',
      'conv3.weight 256×128×3×3',
      'conv4.weight 256×256×3×3',
      'conv5.weight 512×256×3×3',
      'conv6.weight 512×512×3×3',
      'fc1.weight 1024×8192',
      'fc2.weight 10×1024',
    ]);
    expect(file.nodes.filter((n) => n.op === 'maxpool')).toHaveLength(3);
    expect(file.nodes.find((n) => n.name === 'conv1')!.attrs).toEqual({ kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    expect(file.input.labels[0]).toBe('airplane');
    expect(file.metadata).toMatchObject({ architecture: 'vgg7', dataset: 'CIFAR-10', trained: false });
  });

  it('scales every width with the multiplier', () => {
    const file = buildVgg7File({ seed: 2, widthMultiplier: 1 / 16, granularity: 'per-channel' });
    expect(file.tensors.get('conv6.weight')!.shape).toEqual([32, 32, 3, 3]);
    expect(file.tensors.get('fc1.weight')!.shape).toEqual([64, 32 * 4 * 4]);
    expect(file.tensors.get('fc2.weight')!.shape).toEqual([10, 64]);
    readTwnFile(writeTwnFile(file));
  });
});

describe('ResNet-18', () => {
  it.each([
    // torchvision's resnet18 and the usual CIFAR ResNet-18 (3×3 stem, no max pool): same counts as their float models.
    ['imagenet', 11_689_512, 49, [3, 224, 224], 1000],
    ['cifar', 11_173_962, 48, [3, 32, 32], 10],
  ] as const)('%s: parameter count %i, %i nodes', (variant, parameters, nodeCount, inputShape, classes) => {
    const file = buildResNet18File({ seed: 4, variant });
    expect(parameterCount(file)).toBe(parameters);
    expect(file.nodes).toHaveLength(nodeCount);
    expect(file.input.shape).toEqual(inputShape);
    expect(file.input.labels).toHaveLength(classes);
    expect(file.tensors.get('fc.weight')!.shape).toEqual([classes, 512]);
    expect(file.tensors.get('layer2.0.downsample.weight')!.shape).toEqual([128, 64, 1, 1]);
    expect(file.tensors.has('layer1.0.downsample.weight')).toBe(false);
    const firstAdd = file.nodes.find((n) => n.name === 'layer1.0.add')!;
    expect(firstAdd.inputs).toEqual(['layer1.0.conv2', variant === 'imagenet' ? 'maxpool' : 'relu']);
    expect(file.nodes.find((n) => n.name === 'layer3.0.conv1')!.attrs).toEqual({ kernel: [3, 3], stride: [2, 2], padding: [1, 1] });
    expect(file.metadata.architecture).toBe(variant === 'imagenet' ? 'resnet18' : 'resnet18-cifar');
    readTwnFile(writeTwnFile(file));
  });
});
