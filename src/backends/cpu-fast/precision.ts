import { int16Calibration, int16Scale } from '../../graph/int16.js';
import type { Graph } from '../../graph/ir.js';
import type { Int16Quantiser } from './kernel.js';

/** The int16 quantiser of each ternary layer the file gives a range, by node name; empty without a calibration. */
export function int16Quantisers(graph: Graph): ReadonlyMap<string, Int16Quantiser> {
  const calibration = int16Calibration(graph);
  if (calibration === undefined) return new Map();
  const { qmax } = calibration;
  const quantiser = (range: number): Int16Quantiser => ({ scale: int16Scale(range, qmax), qmax, step: range / qmax });
  return new Map([...calibration.inputRanges].map(([name, range]) => [name, quantiser(range)]));
}
