import { writeTwnFile } from '../format/writer.js';
import type { TwnFile } from '../format/types.js';
import { MNIST } from './datasets.js';
import { NetworkBuilder, type BuildOptions } from './network-builder.js';

/**
 * LeNet-5 as in the TWN paper's MNIST experiment, on 1×28×28: 32-C5 → BN → ReLU → MP2 → 64-C5 → BN → ReLU → MP2 →
 * flatten (64·4·4) → 512-FC → BN → ReLU → classes-FC (with bias). Seeded random weights (metadata.trained = false).
 */
export function buildLeNet5File(options: BuildOptions): TwnFile {
  const numClasses = options.numClasses ?? MNIST.labels.length;
  const fullPrecisionEnds = options.fullPrecisionFirstLast ?? false;
  const net = new NetworkBuilder(options);
  let x = net.conv('conv1', 'image', { inChannels: 1, outChannels: 32, kernel: 5, fullPrecision: fullPrecisionEnds });
  x = net.maxpool('pool1', net.relu('relu1', x), 2);
  x = net.conv('conv2', x, { inChannels: 32, outChannels: 64, kernel: 5 });
  x = net.maxpool('pool2', net.relu('relu2', x), 2);
  x = net.flatten('flatten', x);
  x = net.relu('relu3', net.dense('fc1', x, { inFeatures: 64 * 4 * 4, outFeatures: 512, batchNorm: true }));
  const logits = net.dense('fc2', x, { inFeatures: 512, outFeatures: numClasses, batchNorm: false, fullPrecision: fullPrecisionEnds, output: 'logits' });
  return net.finish(MNIST, numClasses, logits, 'lenet5');
}

export function buildLeNet5(options: BuildOptions): Uint8Array {
  return writeTwnFile(buildLeNet5File(options));
}
