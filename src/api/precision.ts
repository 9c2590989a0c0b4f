import type { Precision } from '../backends/cpu-fast/options.js';
import { TwnInputError } from '../errors.js';
import { int16Calibration, isTernaryLayer, layersWithoutRange } from '../graph/int16.js';
import type { Graph } from '../graph/ir.js';
import type { BackendKind } from './backend.js';

/** Points of top-1 accuracy int16 may lose against float32, where the file states both (docs/FORMAT.md §7.1). */
const MAX_INT16_LOSS = 0.001;

export function checkPrecision(precision: unknown): Precision {
  if (precision === undefined || precision === 'float32' || precision === 'int16') return precision ?? 'float32';
  throw new TwnInputError('BAD_OPTIONS', `precision must be 'float32' or 'int16', not ${JSON.stringify(precision)}`);
}

/** Why the file does not offer int16, or undefined when it does: ranges for every ternary layer, no accuracy loss. */
export function int16Declined(graph: Graph): string | undefined {
  if (!graph.nodes.some((node) => isTernaryLayer(graph, node))) return 'the model has no ternary or binary layers';
  const calibration = int16Calibration(graph);
  if (calibration === undefined) return 'the file has no int16 input ranges (metadata.int16)';
  const missing = layersWithoutRange(graph, calibration);
  if (missing.length > 0) return `the file has no int16 input range for ${missing.join(', ')}`;
  const float = (graph.metadata.accuracy as { top1?: number } | undefined)?.top1;
  const int16 = calibration.accuracy?.top1;
  // A small allowance for the decimal fractions the file states (0.9934 − 0.001 is not exactly 0.9924).
  if (float !== undefined && int16 !== undefined && int16 < float - MAX_INT16_LOSS - 1e-9) {
    return `int16 loses ${(100 * (float - int16)).toFixed(2)} points of top-1 accuracy (${float} → ${int16})`;
  }
  return undefined;
}

export interface PrecisionInfo {
  readonly precision: Precision;
  /** Why float32 runs although int16 was asked for. */
  readonly precisionReason?: string;
}

/**
 * What runs, given what was asked, the file, the backend and what the CPU executor runs (`cpuPrecision`: int16 only
 * with WebAssembly SIMD).
 */
export function precisionInfo(
  requested: Precision,
  graph: Graph,
  backend: BackendKind,
  cpuPrecision: Precision | undefined,
): PrecisionInfo {
  if (requested === 'float32') return { precision: 'float32' };
  const reason =
    int16Declined(graph) ??
    (backend === 'webgpu'
      ? 'the WebGPU backend runs float32 only (int16 runs on the CPU backend)'
      : cpuPrecision !== 'int16'
        ? 'no WebAssembly SIMD (the JavaScript kernels run float32 only)'
        : undefined);
  return reason === undefined ? { precision: 'int16' } : { precision: 'float32', precisionReason: reason };
}
