import { buildLeNet5, buildResNet18, buildVgg7 } from '../src/models/index.js';

export interface BenchModel {
  readonly build: () => Uint8Array;
  /** Warm iterations per batch size unless a flag says otherwise: fewer for the big nets. */
  readonly iterations: number;
}

/** The nets every benchmark script times, with seeded random weights (speed does not depend on training). */
export const BENCH_MODELS: Readonly<Record<string, BenchModel>> = {
  lenet5: { build: () => buildLeNet5({ seed: 1 }), iterations: 10 },
  vgg7: { build: () => buildVgg7({ seed: 1 }), iterations: 3 },
  'resnet18-cifar': { build: () => buildResNet18({ seed: 1, variant: 'cifar' }), iterations: 3 },
  'resnet18-224': { build: () => buildResNet18({ seed: 1, variant: 'imagenet' }), iterations: 1 },
};

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
