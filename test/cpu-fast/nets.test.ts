import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildLeNet5, buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { planGraph } from '../../src/plan/plan.js';
import { tinyResNetFile } from '../graph/fixtures.js';
import { argmax, expectCloseToReference } from './compare.js';

const NET_TOLERANCE = 1e-3;
const BATCH = 3;

interface NetCase {
  readonly name: string;
  bytes(): Uint8Array;
  /** Run the plan as built, with explicit batchnorm/relu/add nodes, instead of the optimized graph. */
  readonly unoptimized?: boolean;
}

const NET_CASES: readonly NetCase[] = [
  { name: 'LeNet-5', bytes: () => buildLeNet5({ seed: 11 }) },
  { name: 'LeNet-5, per-channel α, f32 first/last', bytes: () => buildLeNet5({ seed: 12, granularity: 'per-channel', fullPrecisionFirstLast: true }) },
  { name: 'LeNet-5, explicit batchnorm, unoptimized', bytes: () => buildLeNet5({ seed: 13, foldBatchNorm: false }), unoptimized: true },
  { name: 'VGG-7 ×0.25 width', bytes: () => buildVgg7({ seed: 14, widthMultiplier: 0.25 }) },
  { name: 'tiny ResNet, explicit batchnorm, unoptimized', bytes: () => writeTwnFile(tinyResNetFile({ seed: 15, foldBatchNorm: false })), unoptimized: true },
  { name: 'ResNet-18 CIFAR', bytes: () => buildResNet18({ seed: 16, variant: 'cifar' }) },
];

function randomPixels(graph: Graph, batch: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const [channels, height, width] = graph.input.shape;
  return Float32Array.from({ length: batch * channels * height * width }, () => random.uniform(0, 1));
}

function expectSameLogits(actual: Float32Array, expected: Float64Array, classes: number): void {
  expectCloseToReference(actual, expected, NET_TOLERANCE);
  for (let n = 0; n < actual.length / classes; n++) {
    const row = (values: Float32Array | Float64Array) => values.subarray(n * classes, (n + 1) * classes);
    expect(argmax(row(actual)), `sample ${n}`).toBe(argmax(row(expected)));
  }
}

describe('FastCpuExecutor matches CpuExecutor on whole nets', () => {
  // The reference runs once at batch 3; its first sample is the batch-1 reference too (samples are independent).
  it.each(NET_CASES.map((net) => [net.name, net] as const))('%s, batch 3 and 1', (_name, net) => {
    const graph = graphFromFile(readTwnFile(net.bytes()));
    const model = (batch: number) => (net.unoptimized ? planGraph(graph, batch) : planGraph(optimize(graph), batch));
    const pixels = randomPixels(graph, BATCH, 5);
    const output = graph.outputs[0]!;
    const expected = new CpuExecutor().run(model(BATCH), pixels, BATCH).get(output)!;
    const classes = expected.shape[1]!;
    const fast = new FastCpuExecutor();

    const batched = fast.run(model(BATCH), pixels, BATCH).get(output)!;
    expect(batched.shape).toEqual(expected.shape);
    expectSameLogits(batched.data, expected.data, classes);

    const single = fast.run(model(1), pixels.subarray(0, pixels.length / BATCH), 1).get(output)!;
    expectSameLogits(single.data, expected.data.subarray(0, classes), classes);
  });
});
