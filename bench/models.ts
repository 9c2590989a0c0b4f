import { buildLeNet5, buildResNet18, buildVgg7, type BuildOptions } from '../src/models/index.js';

type SeededInt16 = Pick<BuildOptions, 'int16CalibrationImages'>;

export interface BenchModel {
  /** For tables: which net, and whether its weights are trained. */
  readonly label: string;
  /**
   * Seeded random weights built in-process (speed does not depend on training), or a shipped trained file. `build`
   * passes the builder options that calibrate int16 (src/models/int16-calibration.ts) when a script asks for them.
   */
  readonly source: { readonly build: (int16: SeededInt16) => Uint8Array } | { readonly file: string };
  /** Timed runs per batch size unless a flag says otherwise: fewer for the big nets. */
  readonly iterations: number;
}

/** The one model table every benchmark script draws from. `file` paths are relative to the repository root. */
export const BENCH_MODELS: Readonly<Record<string, BenchModel>> = {
  lenet5: {
    label: 'LeNet-5 (seeded)',
    source: { build: (int16) => buildLeNet5({ seed: 1, ...int16 }) },
    iterations: 10,
  },
  vgg7: {
    label: 'VGG-7 full width (seeded)',
    source: { build: (int16) => buildVgg7({ seed: 1, ...int16 }) },
    iterations: 3,
  },
  'resnet18-cifar': {
    label: 'ResNet-18 CIFAR (seeded)',
    source: { build: (int16) => buildResNet18({ seed: 1, variant: 'cifar', ...int16 }) },
    iterations: 3,
  },
  'resnet18-224': {
    label: 'ResNet-18 224×224 (seeded)',
    source: { build: (int16) => buildResNet18({ seed: 1, variant: 'imagenet', ...int16 }) },
    iterations: 1,
  },
  'lenet5-twn': { label: 'LeNet-5 TWN (trained)', source: { file: 'demo/models/lenet5-twn.twn' }, iterations: 10 },
  'vgg7-w05': { label: 'VGG-7 ×0.5 TWN (trained)', source: { file: 'demo/models/vgg7-twn-w05.twn' }, iterations: 5 },
};

export function benchModel(name: string): BenchModel {
  const model = BENCH_MODELS[name];
  if (model === undefined) throw new Error(`unknown model "${name}" (known: ${Object.keys(BENCH_MODELS).join(', ')})`);
  return model;
}

/**
 * The model's .twn bytes; `readFile` reads a repository path (fs in Node, fetch in a page). With `int16`, a seeded
 * model is calibrated on one seeded image by the float64 reference (seconds to a minute for the big nets), so it can
 * run at precision 'int16'; shipped files carry their own calibration.
 */
export async function benchModelBytes(
  name: string,
  readFile: (path: string) => Promise<Uint8Array>,
  { int16 = false }: { int16?: boolean } = {},
): Promise<Uint8Array> {
  const { source } = benchModel(name);
  return 'build' in source ? source.build(int16 ? { int16CalibrationImages: 1 } : {}) : readFile(source.file);
}
