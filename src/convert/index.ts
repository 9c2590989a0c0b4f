/**
 * ONNX → `.twn`: `convertOnnx(bytes)` reads an ONNX model exported from any PyTorch (or other) code and writes the
 * same network as a `.twn` file. Weights that already are α·{−1, 0, +1} (per layer or per output channel) are
 * packed as exact 2-bit codes; other conv/dense weights stay f32, or are ternarized on request, with the agreement
 * against the float model measured and reported. Package entry `twn-webgpu/convert`; the runtime does not import it.
 */
import { preprocess, type ImageDataLike } from '../api/preprocess.js';
import { TwnConvertError, TwnFormatError, TwnInputError } from '../errors.js';
import { readTwnFile } from '../format/reader.js';
import type { TwnFile } from '../format/types.js';
import { writeTwnFile } from '../format/writer.js';
import { graphFromFile } from '../graph/from-file.js';
import type { Graph, InputSpec } from '../graph/ir.js';
import { DELTA_FACTOR, type Granularity } from '../ternarize.js';
import { measureAgreement, type Agreement, type AgreementInputs } from './agreement.js';
import { Lowering, type ConvertedLayer } from './lower.js';
import { decodeOnnx, type OnnxModel } from './onnx.js';
import { HANDLERS } from './ops.js';
import { DEFAULT_TERNARY_TOLERANCE, type WeightOptions } from './weights.js';

export { TwnConvertError, type ConvertErrorCode } from '../errors.js';
export { DEFAULT_TERNARY_TOLERANCE, matchTernary, type TernaryMatch } from './weights.js';
export type { Agreement } from './agreement.js';
export type { ConvertedLayer } from './lower.js';

declare const __TWN_VERSION__: string;

export interface ConvertOptions {
  /** Ternarize conv/dense weights that are not already ternary (Δ = 0.7·mean|W|); default false: they stay f32. */
  readonly ternarize?: boolean;
  /** Layers (ONNX node names) that stay f32 even with `ternarize`, e.g. the first and last layer. */
  readonly keepFloat?: readonly string[];
  /** One Δ and α per layer or per output channel when ternarizing (default 'per-channel'). */
  readonly granularity?: Granularity;
  /** Relative tolerance of the already-ternary check (default {@link DEFAULT_TERNARY_TOLERANCE}). */
  readonly ternaryTolerance?: number;
  /** Class names, index = output index. */
  readonly labels?: readonly string[];
  /**
   * Images the agreement of a ternarized model with the float one is measured on (decoded RGBA pixels, e.g. from
   * `decodeImage` of twn-webgpu/node, or [C, H, W] tensors in [0, 1]); resized like `classify` does. Without them,
   * `agreementSamples` seeded random images (default 64, seed `seed`, default 1).
   */
  readonly samples?: readonly (ImageDataLike | Float32Array)[];
  readonly agreementSamples?: number;
  readonly seed?: number;
  /** Merged into the file's metadata (docs/FORMAT.md §7), e.g. { architecture, dataset, accuracy }. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface ConversionReport {
  readonly input: InputSpec;
  readonly outputs: readonly string[];
  readonly layers: readonly ConvertedLayer[];
  /** Present when some layer was ternarized: the converted model against the float one on seeded inputs. */
  readonly agreement?: Agreement;
  /** Things the user should know (ternarized layers and how far they moved the outputs). */
  readonly warnings: readonly string[];
}

export interface Conversion {
  /** The `.twn` file. */
  readonly bytes: Uint8Array;
  /** The same model as the runtime reads it. */
  readonly graph: Graph;
  readonly report: ConversionReport;
}

const PRODUCER = `twn-convert ${typeof __TWN_VERSION__ === 'string' ? __TWN_VERSION__ : 'development'}`;

/**
 * Converts an ONNX model to `.twn` bytes. Throws TwnConvertError (ONNX_DECODE, UNSUPPORTED_OP, UNSUPPORTED_ATTRIBUTE,
 * UNSUPPORTED_PATTERN, UNSUPPORTED_DTYPE, MALFORMED_MODEL) naming the ONNX node at fault.
 */
export function convertOnnx(onnx: Uint8Array, options: ConvertOptions = {}): Conversion {
  const model = decodeOnnx(onnx);
  const tolerance = options.ternaryTolerance ?? DEFAULT_TERNARY_TOLERANCE;
  const granularity = options.granularity ?? 'per-channel';
  const keepFloat = new Set(options.keepFloat ?? []);
  const unknown = [...keepFloat].filter((name) => !model.nodes.some((node) => node.name === name));
  if (unknown.length > 0)
    throw new TwnConvertError('MALFORMED_MODEL', `keepFloat names no node of the model: ${unknown.join(', ')}`);

  const lowered = lower(model, options, (node) => ({
    tolerance,
    granularity,
    ternarize: (options.ternarize ?? false) && !keepFloat.has(node),
  }));
  const ternarized = lowered.layers.filter((layer) => layer.weight === 'ternarized');
  const warnings: string[] = [];
  let agreement: Agreement | undefined;
  if (ternarized.length > 0) {
    const float = lower(model, options, () => ({ tolerance, granularity, ternarize: false }));
    agreement = measureAgreement(lowered.graph, float.graph, agreementInputs(lowered.graph, options));
    const inputs = agreement.inputs === 'given' ? 'sample images' : `seeded random images (seed ${agreement.seed})`;
    warnings.push(
      `ternarized ${ternarized.length} float layer(s) (${ternarized.map((layer) => layer.node).join(', ')}) by ` +
        `Δ = ${DELTA_FACTOR}·mean|W| ${granularity}: against the float model on ${agreement.samples} ${inputs}, ` +
        `top-1 agreement ${(100 * agreement.top1).toFixed(1)} %, ` +
        `max |output difference| ${agreement.maxLogitDiff.toPrecision(3)}; ` +
        'fine-tune with ternary weights (tools/README.md) for accuracy',
    );
  }
  const report: ConversionReport = {
    input: lowered.file.input,
    outputs: lowered.file.outputs,
    layers: lowered.layers,
    ...(agreement ? { agreement } : {}),
    warnings,
  };
  const file: TwnFile = { ...lowered.file, metadata: metadataFor(model, report, tolerance, options) };
  const bytes = writeTwnFile(file);
  return { bytes, graph: graphFromFile(readTwnFile(bytes)), report };
}

function agreementInputs(graph: Graph, options: ConvertOptions): AgreementInputs {
  if (options.samples === undefined || options.samples.length === 0) {
    return { seed: options.seed ?? 1, count: options.agreementSamples ?? 64 };
  }
  const spec = { inputShape: graph.input.shape, colorLayout: graph.input.colorLayout } as const;
  const size = graph.input.shape.reduce((a, b) => a * b, 1);
  const pixels = new Float32Array(options.samples.length * size);
  options.samples.forEach((sample, i) => pixels.set(preprocess(sample, spec), i * size));
  return { pixels, count: options.samples.length };
}

interface Lowered {
  readonly file: TwnFile;
  readonly graph: Graph;
  readonly layers: readonly ConvertedLayer[];
}

function lower(model: OnnxModel, options: ConvertOptions, weightOptions: (node: string) => WeightOptions): Lowered {
  const lowering = new Lowering(model, weightOptions, options.labels ?? []);
  for (const node of model.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw new TwnConvertError('UNSUPPORTED_OP', `(${node.opType}) is from operator domain "${node.domain}"`, {
        node: node.name,
      });
    }
    const handler = HANDLERS[node.opType];
    if (handler === undefined) {
      throw new TwnConvertError(
        'UNSUPPORTED_OP',
        `(${node.opType}) has no .twn counterpart; supported: ${Object.keys(HANDLERS).join(', ')}`,
        { node: node.name },
      );
    }
    handler(lowering, node);
  }
  const outputs = lowering.outputs();
  const file: TwnFile = {
    input: lowering.inputSpec(),
    outputs,
    nodes: lowering.nodes,
    tensors: lowering.tensors,
    metadata: { trained: false },
  };
  try {
    return { file, graph: graphFromFile(readTwnFile(writeTwnFile(file))), layers: lowering.layers };
  } catch (error) {
    if (!(error instanceof TwnFormatError)) throw error;
    if (error.path?.startsWith('$.input.labels')) throw new TwnInputError('BAD_LABELS', `labels: ${error.message}`);
    const index = /^\$\.nodes\[(\d+)\]/.exec(error.path ?? '')?.[1];
    const node = index === undefined ? undefined : lowering.nodes[Number(index)]?.name;
    throw new TwnConvertError(
      'UNSUPPORTED_PATTERN',
      `the converted graph is not a valid .twn model: ${error.message}`,
      node === undefined ? {} : { node },
    );
  }
}

function metadataFor(
  model: OnnxModel,
  report: ConversionReport,
  tolerance: number,
  options: ConvertOptions,
): Record<string, unknown> {
  const ternary = report.layers.filter((layer) => layer.weight !== 'float');
  const granularities = new Set(ternary.map((layer) => layer.granularity));
  return {
    architecture: model.graphName !== '' ? model.graphName : 'onnx',
    trained: true,
    weightMode: ternary.length === 0 ? 'float' : 'ternary',
    ...(granularities.size === 1 ? { granularity: [...granularities][0] } : {}),
    ...(report.agreement ? { deltaRule: `${DELTA_FACTOR}*mean|W|` } : {}),
    fullPrecisionLayers: report.layers.filter((layer) => layer.weight === 'float').map((layer) => layer.node),
    producer: PRODUCER,
    source: { format: 'onnx', producer: model.producer, opset: model.opset },
    conversion: {
      ternaryTolerance: tolerance,
      layers: report.layers.map(({ node, weight }) => ({ node, weight })),
      ...(report.agreement ? { agreement: report.agreement } : {}),
    },
    ...options.metadata,
  };
}
