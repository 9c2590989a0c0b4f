import { writeTwnFile } from '../format/writer.js';
import type { TwnFile } from '../format/types.js';
import { CIFAR10 } from './datasets.js';
import { NetworkBuilder, type BuildOptions } from './network-builder.js';

export interface Vgg7Options extends BuildOptions {
  /** Multiplies every conv and hidden-FC width (rounded, at least 1); small values make small test models. */
  widthMultiplier?: number;
}

/**
 * VGG-7 as in the TWN paper's CIFAR-10 experiment, on 3×32×32: 2×128-C3, MP2, 2×256-C3, MP2, 2×512-C3, MP2,
 * flatten (512·4·4), 1024-FC, classes-FC; BN + ReLU after every conv and the hidden FC.
 */
export function buildVgg7File(options: Vgg7Options): TwnFile {
  const width = (channels: number) => Math.max(1, Math.round(channels * (options.widthMultiplier ?? 1)));
  const fullPrecisionEnds = options.fullPrecisionFirstLast ?? false;
  const net = new NetworkBuilder(options);
  let x = 'image';
  let channels = 3;
  let layer = 0;
  for (const [stage, stageChannels] of [128, 256, 512].entries()) {
    for (let i = 0; i < 2; i++) {
      layer++;
      const outChannels = width(stageChannels);
      const fullPrecision = layer === 1 && fullPrecisionEnds;
      x = net.relu(`relu${layer}`, net.conv(`conv${layer}`, x, { inChannels: channels, outChannels, kernel: 3, padding: 1, fullPrecision }));
      channels = outChannels;
    }
    x = net.maxpool(`pool${stage + 1}`, x, 2);
  }
  x = net.flatten('flatten', x);
  const hidden = width(1024);
  x = net.relu('relu7', net.dense('fc1', x, { inFeatures: channels * 4 * 4, outFeatures: hidden, batchNorm: true }));
  const numClasses = options.numClasses ?? CIFAR10.labels.length;
  const logits = net.dense('fc2', x, { inFeatures: hidden, outFeatures: numClasses, batchNorm: false, fullPrecision: fullPrecisionEnds, output: 'logits' });
  return net.finish(CIFAR10, numClasses, logits, 'vgg7');
}

export function buildVgg7(options: Vgg7Options): Uint8Array {
  return writeTwnFile(buildVgg7File(options));
}
