import type { DType, Graph, Tensor } from '../graph/ir.js';
import { countTernaryCodes } from '../format/ternary-pack.js';
import type { CpuKernels, Precision } from '../backends/cpu-fast/options.js';
import type { BackendInfo, ExecutionThread } from './backend.js';

export interface AlphaStats {
  /** 1 for a per-layer α, O for per-output-channel α. */
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export interface LayerInfo {
  readonly name: string;
  readonly op: string;
  readonly weightShape: readonly number[];
  readonly dtype: DType;
  readonly parameters: number;
  /** Share of weights that are exactly zero: for a ternary layer, the codes below the threshold Δ. */
  readonly zeroFraction: number;
  readonly positiveFraction: number;
  readonly negativeFraction: number;
  /** Bytes the weight takes in the file. */
  readonly bytes: number;
  /** α of a ternary layer; null for a layer kept in full precision. */
  readonly alpha: AlphaStats | null;
}

export interface ModelMetadata {
  /** False for seeded random weights: such a model must never be presented as trained. */
  readonly trained: boolean;
  readonly architecture?: string;
  readonly dataset?: string;
  readonly accuracy?: {
    readonly top1?: number;
    readonly split?: string;
    readonly images?: number;
    readonly note?: string;
  };
  readonly [key: string]: unknown;
}

export interface ModelInfo {
  /** [C, H, W] of one image; the batch is chosen per run. */
  readonly inputShape: readonly [number, number, number];
  readonly colorLayout: 'gray' | 'rgb';
  readonly labels: readonly string[];
  /** Size of the `.twn` file. */
  readonly fileBytes: number;
  /** Size of the same tensors stored as fp32. */
  readonly fp32Bytes: number;
  readonly parameters: number;
  readonly layers: readonly LayerInfo[];
  readonly metadata: ModelMetadata;
  readonly backend: RunningBackend;
}

/** The backend, the thread it runs on, its kernels. */
export interface RunningBackend extends BackendInfo {
  /**
   * 'worker': the CPU backend in a Web Worker (browsers, for models whose runs are long, or cpuWorker: true); 'main':
   * the calling thread (WebGPU, Node, cpuWorker: false, and by default a model whose runs are short; its batches too
   * big to be short still run in a worker, see threadReason).
   */
  readonly thread: ExecutionThread;
  /** CPU only: why it runs there (cpuWorker, the model's work per image, or the environment). */
  readonly threadReason?: string;
  /**
   * CPU only: 'wasm-simd' where the engine runs WebAssembly SIMD (every current browser and Node), else 'js' (no
   * WebAssembly, or a Content-Security-Policy without 'wasm-unsafe-eval'), about 2–4× slower.
   */
  readonly kernels?: CpuKernels;
  /**
   * CPU only: threads each layer is split over (options.threads; default the hardware's, at most 4). Helper threads
   * still booting when the load resolves join the runs as they become ready.
   */
  readonly threads?: number;
  /**
   * CPU only, when fewer threads run than were asked for: why (no cross-origin isolation, so no SharedArrayBuffer; a
   * page's own thread, which may not block; the JavaScript kernels).
   */
  readonly threadsReason?: string;
  /** What the ternary layers sum: 'int16' codes where asked for and offered (options.precision), else 'float32'. */
  readonly precision: Precision;
  /**
   * When int16 was asked for but float32 runs: why (the file has no ranges, or states an accuracy loss over 0.1 points;
   * the WebGPU backend; no WebAssembly SIMD; no ternary layers).
   */
  readonly precisionReason?: string;
}

export function describeModel(graph: Graph, fileBytes: number, backend: RunningBackend): ModelInfo {
  const layers = graph.nodes.flatMap((node) => {
    const weight = node.params.weight === undefined ? undefined : graph.tensors.get(node.params.weight);
    if (!weight) return [];
    const alpha = node.params.alpha === undefined ? undefined : graph.tensors.get(node.params.alpha);
    return [{ name: node.name, op: node.op, ...describeWeight(weight, alpha) }];
  });
  let parameters = 0;
  for (const tensor of graph.tensors.values()) parameters += elementCount(tensor.shape);
  return {
    inputShape: graph.input.shape,
    colorLayout: graph.input.colorLayout,
    labels: graph.input.labels,
    fileBytes,
    fp32Bytes: parameters * 4,
    parameters,
    layers,
    metadata: graph.metadata as ModelMetadata,
    backend,
  };
}

function describeWeight(weight: Tensor, alpha: Tensor | undefined): Omit<LayerInfo, 'name' | 'op'> {
  const parameters = elementCount(weight.shape);
  const counts = weight.dtype === 'ternary2' ? ternarySigns(weight) : countSigns(weight.data);
  return {
    weightShape: weight.shape,
    dtype: weight.dtype,
    parameters,
    zeroFraction: counts.zero / parameters,
    positiveFraction: counts.positive / parameters,
    negativeFraction: counts.negative / parameters,
    bytes: weight.data.byteLength,
    alpha: weight.dtype === 'ternary2' && alpha ? alphaStats(alpha.data) : null,
  };
}

interface SignCounts {
  zero: number;
  positive: number;
  negative: number;
}

/** Codes per docs/FORMAT.md §5: 0 → 0, 1 → +1, 2 → −1, sixteen to a u32, each row padded to whole words. */
function ternarySigns(weight: Tensor): SignCounts {
  const { positive, negative } = countTernaryCodes(weight.data as Uint32Array);
  return { zero: elementCount(weight.shape) - positive - negative, positive, negative };
}

function countSigns(values: ArrayLike<number>): SignCounts {
  const counts: SignCounts = { zero: 0, positive: 0, negative: 0 };
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? 0;
    if (value > 0) counts.positive++;
    else if (value < 0) counts.negative++;
    else counts.zero++;
  }
  return counts;
}

function alphaStats(values: ArrayLike<number>): AlphaStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? 0;
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  return { count: values.length, min, max, mean: sum / values.length };
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
