/**
 * Layer-emitting helpers shared by the model builders: seeded He-normal weights, ternarized and packed (or kept f32),
 * and BatchNorm either folded into the layer's `scale`/`bias` (docs/FORMAT.md §6) or emitted as a `batchnorm` node.
 */
import type { Attrs, Tensor } from '../graph/ir.js';
import { packTernary } from '../format/ternary-pack.js';
import type { StoredNode, TwnFile } from '../format/types.js';
import { ternarize, type Granularity } from '../ternarize.js';
import { datasetInput, type Dataset } from './datasets.js';
import { withSeededInt16 } from './int16-calibration.js';
import { seededRandom, type Random } from './random.js';

export interface BuildOptions {
  seed: number;
  /** Δ and α per layer (default) or per output channel. */
  granularity?: Granularity;
  /** Keep the first and last layers' weights full precision (f32, no α), as some TWN recipes do. */
  fullPrecisionFirstLast?: boolean;
  /**
   * true (default): BatchNorm folded into per-channel scale/bias, as the exporter writes files. false: explicit
   * `batchnorm` nodes, for checking the runtime's own fold pass. Both draw the same random numbers, so the two files
   * from one seed compute the same function.
   */
  foldBatchNorm?: boolean;
  numClasses?: number;
  /**
   * Calibrate `metadata.int16` on this many seeded images with the float64 reference (int16-calibration.ts), so the
   * file can run at precision 'int16'. Off by default: on full-size nets the reference takes seconds per image.
   */
  int16CalibrationImages?: number;
}

export const BATCHNORM_EPSILON = 1e-5;

interface WeightedLayer {
  /** Weight shape [O, …]: [O, C, kh, kw] for conv2d, [O, K] for dense. */
  readonly shape: readonly number[];
  readonly fullPrecision?: boolean;
  /** A BatchNorm follows (folded or explicit); otherwise the layer gets a plain bias. */
  readonly batchNorm: boolean;
}

export class NetworkBuilder {
  private readonly nodes: StoredNode[] = [];
  private readonly tensors = new Map<string, Tensor>();
  private readonly fullPrecisionLayers: string[] = [];
  private readonly random: Random;
  private readonly granularity: Granularity;
  private readonly foldBatchNorm: boolean;

  private readonly seed: number;
  private readonly int16CalibrationImages: number;

  constructor(options: BuildOptions) {
    this.seed = options.seed;
    this.int16CalibrationImages = options.int16CalibrationImages ?? 0;
    this.random = seededRandom(options.seed);
    this.granularity = options.granularity ?? 'per-layer';
    this.foldBatchNorm = options.foldBatchNorm ?? true;
  }

  conv(
    name: string,
    input: string,
    spec: { inChannels: number; outChannels: number; kernel: number; stride?: number; padding?: number; fullPrecision?: boolean },
  ): string {
    const { kernel, stride = 1, padding = 0 } = spec;
    return this.weighted('conv2d', name, input, undefined, { kernel: [kernel, kernel], stride: [stride, stride], padding: [padding, padding] }, {
      shape: [spec.outChannels, spec.inChannels, kernel, kernel],
      fullPrecision: spec.fullPrecision,
      batchNorm: true,
    });
  }

  /** A dense layer followed by BatchNorm (`batchNorm`), or a classifier with a bias writing `output`. */
  dense(name: string, input: string, spec: { inFeatures: number; outFeatures: number; fullPrecision?: boolean; batchNorm: boolean; output?: string }): string {
    return this.weighted('dense', name, input, spec.output, {}, {
      shape: [spec.outFeatures, spec.inFeatures],
      fullPrecision: spec.fullPrecision,
      batchNorm: spec.batchNorm,
    });
  }

  relu(name: string, input: string): string {
    return this.node(name, 'relu', [input]);
  }

  maxpool(name: string, input: string, kernel: number, stride = kernel, padding = 0): string {
    return this.node(name, 'maxpool', [input], { kernel: [kernel, kernel], stride: [stride, stride], padding: [padding, padding] });
  }

  globalAvgPool(name: string, input: string): string {
    return this.node(name, 'global_avgpool', [input]);
  }

  flatten(name: string, input: string): string {
    return this.node(name, 'flatten', [input]);
  }

  add(name: string, a: string, b: string): string {
    return this.node(name, 'add', [a, b]);
  }

  finish(dataset: Dataset, numClasses: number, output: string, architecture: string): TwnFile {
    const file = this.file(dataset, numClasses, output, architecture);
    return this.int16CalibrationImages ? withSeededInt16(file, this.int16CalibrationImages, this.seed) : file;
  }

  private file(dataset: Dataset, numClasses: number, output: string, architecture: string): TwnFile {
    return {
      input: datasetInput(dataset, numClasses),
      outputs: [output],
      nodes: this.nodes,
      tensors: this.tensors,
      metadata: {
        architecture,
        trained: false,
        dataset: dataset.name,
        weightMode: 'ternary',
        deltaRule: '0.7*mean|W|',
        granularity: this.granularity,
        fullPrecisionLayers: this.fullPrecisionLayers,
        producer: 'twn-webgpu src/models',
      },
    };
  }

  private node(name: string, op: string, inputs: string[], attrs: Attrs = {}, params: Record<string, string> = {}, output = name): string {
    this.nodes.push({ name, op, inputs, outputs: [output], attrs: { ...attrs }, params });
    return output;
  }

  private tensor(name: string, tensor: Tensor): string {
    this.tensors.set(name, tensor);
    return name;
  }

  private f32(name: string, values: ArrayLike<number>): string {
    return this.tensor(name, { dtype: 'f32', shape: [values.length], data: Float32Array.from(values) });
  }

  /** Returns the value holding the layer's result (after BatchNorm), named `output` if given. */
  private weighted(op: 'conv2d' | 'dense', name: string, input: string, output: string | undefined, attrs: Attrs, layer: WeightedLayer): string {
    const { shape } = layer;
    const outChannels = shape[0]!;
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const heStd = Math.sqrt(2 / fanIn);
    const weights = new Float64Array(outChannels * fanIn);
    for (let i = 0; i < weights.length; i++) weights[i] = heStd * this.random.normal();
    const params: Record<string, string> = {};
    if (layer.fullPrecision) {
      params.weight = this.tensor(`${name}.weight`, { dtype: 'f32', shape, data: Float32Array.from(weights) });
      this.fullPrecisionLayers.push(name);
    } else {
      const { codes, alpha } = ternarize(weights, shape, this.granularity);
      params.weight = this.tensor(`${name}.weight`, { dtype: 'ternary2', shape, data: packTernary(codes, shape) });
      params.alpha = this.f32(`${name}.alpha`, alpha);
    }
    if (!layer.batchNorm) {
      params.bias = this.f32(`${name}.bias`, this.uniforms(outChannels, -0.1, 0.1));
      return this.node(name, op, [input], attrs, params, output ?? name);
    }
    const bn = this.batchNormStatistics(outChannels);
    if (this.foldBatchNorm) {
      // s = γ/√(var + ε); scale = s (the layer has none before); bias = (0 − mean)·s + β.
      const s = bn.gamma.map((g, o) => g / Math.sqrt(bn.variance[o]! + BATCHNORM_EPSILON));
      params.scale = this.f32(`${name}.scale`, s);
      params.bias = this.f32(`${name}.bias`, s.map((so, o) => -bn.mean[o]! * so + bn.beta[o]!));
      return this.node(name, op, [input], attrs, params, output ?? name);
    }
    const convOutput = this.node(name, op, [input], attrs, params);
    return this.node(`${name}.bn`, 'batchnorm', [convOutput], { epsilon: BATCHNORM_EPSILON }, {
      gamma: this.f32(`${name}.bn.gamma`, bn.gamma),
      beta: this.f32(`${name}.bn.beta`, bn.beta),
      mean: this.f32(`${name}.bn.mean`, bn.mean),
      var: this.f32(`${name}.bn.var`, bn.variance),
    }, output ?? `${name}.bn`);
  }

  /** Rounded to f32 before folding, so folding the stored f32 statistics reproduces the folded file's values. */
  private batchNormStatistics(channels: number) {
    return {
      gamma: this.uniforms(channels, 0.5, 1.5),
      beta: this.uniforms(channels, -0.1, 0.1),
      mean: this.uniforms(channels, -0.1, 0.1),
      variance: this.uniforms(channels, 0.5, 1.5),
    };
  }

  private uniforms(count: number, low: number, high: number): Float64Array {
    return Float64Array.from({ length: count }, () => Math.fround(this.random.uniform(low, high)));
  }
}
