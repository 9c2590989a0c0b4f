import type { TwnFile } from '../../src/format/types.js';
import type { Tensor } from '../../src/graph/ir.js';
import { CIFAR10 } from '../../src/models/datasets.js';
import { NetworkBuilder } from '../../src/models/network-builder.js';
import { f32, randomSigns, rng, ternary, uniform } from '../ops/helpers.js';

/**
 * A small valid file: image [1, 4, 4] → conv1 (ternary 2×1×3×3, pad 1) → bn1 → relu1 → flatten → fc (ternary 3×32)
 * → softmax. Fresh objects on every call so a test can break one part.
 */
export function smallFile(): TwnFile {
  const random = rng(7);
  const tensors = new Map<string, Tensor>([
    ['conv1.weight', ternary(randomSigns(random, 18), [2, 1, 3, 3])],
    ['conv1.alpha', f32([0.5], [1])],
    ['bn1.gamma', f32([1.5, 0.5], [2])],
    ['bn1.beta', f32([0.1, -0.2], [2])],
    ['bn1.mean', f32([0.05, -0.1], [2])],
    ['bn1.var', f32([0.9, 1.3], [2])],
    ['fc.weight', ternary(randomSigns(random, 96), [3, 32])],
    ['fc.alpha', f32(uniform(random, 3, 0.1, 1), [3])],
  ]);
  return {
    input: { name: 'image', shape: [1, 4, 4], colorLayout: 'gray', mean: [0.5], std: [0.25], labels: ['a', 'b', 'c'] },
    outputs: ['probs'],
    nodes: [
      { name: 'conv1', op: 'conv2d', inputs: ['image'], outputs: ['conv1'], attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: 'conv1.weight', alpha: 'conv1.alpha' } },
      { name: 'bn1', op: 'batchnorm', inputs: ['conv1'], outputs: ['bn1'], attrs: {}, params: { gamma: 'bn1.gamma', beta: 'bn1.beta', mean: 'bn1.mean', var: 'bn1.var' } },
      { name: 'relu1', op: 'relu', inputs: ['bn1'], outputs: ['relu1'], attrs: {}, params: {} },
      { name: 'flat', op: 'flatten', inputs: ['relu1'], outputs: ['flat'], attrs: {}, params: {} },
      { name: 'fc', op: 'dense', inputs: ['flat'], outputs: ['logits'], attrs: {}, params: { weight: 'fc.weight', alpha: 'fc.alpha' } },
      { name: 'softmax', op: 'softmax', inputs: ['logits'], outputs: ['probs'], attrs: {}, params: {} },
    ],
    tensors,
    metadata: { trained: false },
  };
}

/**
 * A ResNet in miniature through the model builders: stem conv→bn→relu, an identity block, a projection block with
 * stride 2, global average pool, classifier. `foldBatchNorm: false` leaves explicit batchnorm nodes.
 */
export function tinyResNetFile(options: { seed: number; foldBatchNorm: boolean; granularity?: 'per-layer' | 'per-channel' }): TwnFile {
  const net = new NetworkBuilder(options);
  let x = net.relu('stem.relu', net.conv('stem', 'image', { inChannels: 3, outChannels: 8, kernel: 3, padding: 1, stride: 2 }));
  const block = (name: string, input: string, inChannels: number, outChannels: number, stride: number) => {
    let y = net.relu(`${name}.relu1`, net.conv(`${name}.conv1`, input, { inChannels, outChannels, kernel: 3, stride, padding: 1 }));
    y = net.conv(`${name}.conv2`, y, { inChannels: outChannels, outChannels, kernel: 3, padding: 1 });
    const shortcut = stride === 1 && inChannels === outChannels ? input : net.conv(`${name}.down`, input, { inChannels, outChannels, kernel: 1, stride });
    return net.relu(`${name}.relu2`, net.add(`${name}.add`, y, shortcut));
  };
  x = block('block1', x, 8, 8, 1);
  x = block('block2', x, 8, 12, 2);
  x = net.flatten('flatten', net.globalAvgPool('pool', x));
  const logits = net.dense('fc', x, { inFeatures: 12, outFeatures: 10, batchNorm: false, output: 'logits' });
  return net.finish(CIFAR10, 10, logits, 'tiny-resnet');
}
