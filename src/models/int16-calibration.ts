/**
 * int16 ranges for seeded files (docs/FORMAT.md §7.1). Trained files are calibrated by the exporter
 * (tools/twn/calibrate.py) on their training images, with their test accuracy to hold. A seeded file has neither
 * dataset nor accuracy and is built in-process by tests and benchmarks, which cannot call Python; so its ranges come
 * from the float64 reference run here on seeded uniform pixels, at the 8 bits the trained files calibrate to, so
 * benchmarks time the kernels those files use.
 */
import { CpuExecutor } from '../backends/cpu/executor.js';
import type { TwnFile } from '../format/types.js';
import { graphFromFile } from '../graph/from-file.js';
import { isTernaryLayer } from '../graph/int16.js';
import { mulberry32 } from './random.js';

export const SEEDED_INT16_BITS = 8;

/** `file` with `metadata.int16`: each ternary layer's range is max|x| of its input over `images` seeded images. */
export function withSeededInt16(file: TwnFile, images: number, seed: number): TwnFile {
  const graph = graphFromFile(file);
  const layers = graph.nodes.filter((node) => isTernaryLayer(graph, node));
  // The layers' inputs become the graph's outputs, so the reference run returns them (and no pass fuses them away).
  const probe = { ...graph, outputs: [...new Set(layers.map((node) => node.inputs[0]!))] };
  const pixels = Float32Array.from({ length: images * graph.input.shape.reduce((a, b) => a * b) }, mulberry32(seed));
  const values = new CpuExecutor().run(probe, pixels, images);
  const largest = (value: string) => values.get(value)!.data.reduce((most, x) => Math.max(most, Math.abs(x)), 0);
  // An input that is zero everywhere (every ReLU off) quantises to zero at any range; 1 keeps the range valid.
  const inputRanges = Object.fromEntries(layers.map((node) => [node.name, largest(node.inputs[0]!) || 1]));
  const calibration = { dataset: 'uniform random pixels', split: `seed ${seed}`, images, statistic: 'max|x|' };
  return { ...file, metadata: { ...file.metadata, int16: { bits: SEEDED_INT16_BITS, inputRanges, calibration } } };
}
