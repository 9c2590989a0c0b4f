import { writeTwnFile } from '../format/writer.js';
import type { TwnFile } from '../format/types.js';
import { CIFAR10, IMAGENET } from './datasets.js';
import { NetworkBuilder, type BuildOptions } from './network-builder.js';

export interface ResNet18Options extends BuildOptions {
  /** 'imagenet': 3×224×224, 7×7/2 stem and 3×3/2 max pool, 1000 classes. 'cifar': 3×32×32, 3×3/1 stem, no pool, 10 classes. */
  variant: 'imagenet' | 'cifar';
}

const STAGE_CHANNELS = [64, 128, 256, 512];
const BLOCKS_PER_STAGE = 2;

/**
 * ResNet-18 (He et al. 2016) as in the TWN paper's ImageNet experiment: a stem, four stages of two BasicBlocks
 * (the first block of stages 2–4 strides 2 with a 1×1/2 projection shortcut), global average pool, FC.
 * Names follow torchvision: layer2.0.conv1, layer2.0.downsample, fc.
 */
export function buildResNet18File(options: ResNet18Options): TwnFile {
  const imagenet = options.variant === 'imagenet';
  const dataset = imagenet ? IMAGENET : CIFAR10;
  const numClasses = options.numClasses ?? dataset.labels.length;
  const fullPrecisionEnds = options.fullPrecisionFirstLast ?? false;
  const net = new NetworkBuilder(options);
  const stem = imagenet ? { kernel: 7, stride: 2, padding: 3 } : { kernel: 3, stride: 1, padding: 1 };
  let x = net.relu('relu', net.conv('conv1', 'image', { inChannels: 3, outChannels: 64, ...stem, fullPrecision: fullPrecisionEnds }));
  if (imagenet) x = net.maxpool('maxpool', x, 3, 2, 1);
  let channels = 64;
  STAGE_CHANNELS.forEach((outChannels, stage) => {
    for (let block = 0; block < BLOCKS_PER_STAGE; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      x = basicBlock(net, `layer${stage + 1}.${block}`, x, channels, outChannels, stride);
      channels = outChannels;
    }
  });
  x = net.flatten('flatten', net.globalAvgPool('avgpool', x));
  const logits = net.dense('fc', x, { inFeatures: channels, outFeatures: numClasses, batchNorm: false, fullPrecision: fullPrecisionEnds, output: 'logits' });
  return net.finish(dataset, numClasses, logits, imagenet ? 'resnet18' : 'resnet18-cifar');
}

export function buildResNet18(options: ResNet18Options): Uint8Array {
  return writeTwnFile(buildResNet18File(options));
}

/** conv3×3/s → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1/s projection (conv + BN), → add → ReLU. */
function basicBlock(net: NetworkBuilder, name: string, input: string, inChannels: number, outChannels: number, stride: number): string {
  let x = net.conv(`${name}.conv1`, input, { inChannels, outChannels, kernel: 3, stride, padding: 1 });
  x = net.relu(`${name}.relu1`, x);
  x = net.conv(`${name}.conv2`, x, { inChannels: outChannels, outChannels, kernel: 3, padding: 1 });
  const projects = stride !== 1 || inChannels !== outChannels;
  const shortcut = projects ? net.conv(`${name}.downsample`, input, { inChannels, outChannels, kernel: 1, stride }) : input;
  return net.relu(`${name}.relu2`, net.add(`${name}.add`, x, shortcut));
}
