/**
 * The ONNX twin (bench/onnx/twin.ts) run by ONNX Runtime must compute what the float64 reference computes: every op
 * case of the shared table, and whole nets with BatchNorm folded or left as nodes.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxTwin, type TwinOptions } from '../../bench/onnx/twin.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildLeNet5, buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { planGraph } from '../../src/plan/plan.js';
import { OP_CASES } from '../op-cases/cases.js';
import { checkAgainstReference, compareToReference, OP_RELATIVE_TOLERANCE } from '../op-cases/compare.js';

type Feeds = Record<string, { data: Float32Array; shape: readonly number[] }>;

async function runTwin(graph: Graph, feeds: Feeds, options?: TwinOptions): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxTwin(graph, options), { executionProviders: ['wasm'] });
  try {
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([name, { data, shape }]) => [name, new ort.Tensor('float32', data, shape)]),
    );
    const results = await session.run(tensors);
    return results[graph.outputs[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

describe('ONNX twin of each op case, run by ONNX Runtime, against the float64 reference', () => {
  it.each(OP_CASES.map((spec) => [spec.name, spec] as const))('%s', async (_, spec) => {
    const opCase = spec.build();
    const feeds = Object.fromEntries(
      opCase.inputs.map((input, i) => [
        opCase.node.inputs[i]!,
        { data: Float32Array.from(input.data), shape: input.shape },
      ]),
    );
    const result = checkAgainstReference(opCase, await runTwin(opCase.graph, feeds, { inputShapes: 'unspecified' }));
    expect(result.pass, result.message).toBe(true);
  });
});

const NETS = [
  { name: 'LeNet-5, explicit batchnorm, per-channel α, float first/last', batch: 3,
    build: () =>
      buildLeNet5({ seed: 11, foldBatchNorm: false, granularity: 'per-channel', fullPrecisionFirstLast: true }) },
  { name: 'VGG-7 ×0.25', batch: 2, build: () => buildVgg7({ seed: 12, widthMultiplier: 0.25 }) },
  // The reference takes seconds per ResNet-18 run, so only its optimized graph (fused residual Add + ReLU) runs.
  { name: 'ResNet-18 CIFAR, explicit batchnorm', batch: 1, optimizedOnly: true,
    build: () => buildResNet18({ seed: 13, variant: 'cifar', foldBatchNorm: false }) },
];

describe('ONNX twin of whole nets against the float64 reference executor', () => {
  for (const net of NETS) {
    for (const optimized of net.optimizedOnly ? [true] : [false, true]) {
      it(`${net.name}, batch ${net.batch}, ${optimized ? 'after the runtime passes' : 'graph as stored'}`, async () => {
        const stored = graphFromFile(readTwnFile(net.build()));
        const graph = optimized ? optimize(stored) : stored;
        const random = seededRandom(net.batch);
        const shape = [net.batch, ...graph.input.shape];
        const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(0, 1));
        const plan = planGraph(stored, net.batch);
        const expected = new CpuExecutor().run(plan, input, net.batch).get(stored.outputs[0]!)!.data;
        const actual = await runTwin(graph, { [graph.input.name]: { data: input, shape } });
        const comparison = compareToReference(actual, expected, OP_RELATIVE_TOLERANCE);
        expect(comparison.pass, comparison.message).toBe(true);
      });
    }
  }
});
