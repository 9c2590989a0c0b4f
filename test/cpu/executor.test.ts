import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { TwnInputError } from '../../src/errors.js';
import type { TwnFile } from '../../src/format/types.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { planGraph } from '../../src/plan/plan.js';
import { expectClose, f32, rng, uniform } from '../ops/helpers.js';
import { smallFile, tinyResNetFile } from '../graph/fixtures.js';

const cpu = new CpuExecutor();

function expectInputError(run: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TwnInputError);
  expect((caught as TwnInputError).code).toBe(code);
  if (message) expect((caught as TwnInputError).message).toMatch(message);
}

describe('CpuExecutor', () => {
  it('runs a whole graph by hand: normalize → dense → softmax', () => {
    // Input [1, 1, 2] gray, mean 0.5, std 0.5: pixels [1, 0] → [1, −1].
    // dense w = [[2, 0], [0, 1]], bias [0, 1] → logits [2, −1 + 1] = [2, 0]; softmax → [e², 1]/(e² + 1).
    const file: TwnFile = {
      input: { name: 'pixels', shape: [1, 1, 2], colorLayout: 'gray', mean: [0.5], std: [0.5], labels: [] },
      outputs: ['logits', 'probs'],
      nodes: [
        { name: 'flat', op: 'flatten', inputs: ['pixels'], outputs: ['flat'], attrs: {}, params: {} },
        { name: 'fc', op: 'dense', inputs: ['flat'], outputs: ['logits'], attrs: {}, params: { weight: 'w', bias: 'b' } },
        { name: 'sm', op: 'softmax', inputs: ['logits'], outputs: ['probs'], attrs: {}, params: {} },
      ],
      tensors: new Map([
        ['w', f32([2, 0, 0, 1], [2, 2])],
        ['b', f32([0, 1], [2])],
      ]),
      metadata: { trained: false },
    };
    const outputs = cpu.run(graphFromFile(file), new Float32Array([1, 0]), 1);
    expect([...outputs.keys()]).toEqual(['logits', 'probs']);
    expectClose(outputs.get('logits')!.data, [2, 0]);
    const e2 = Math.exp(2);
    expectClose(outputs.get('probs')!.data, [e2 / (e2 + 1), 1 / (e2 + 1)]);
  });

  it('a batch equals its samples run one by one; Float32Array and Float64Array inputs agree', () => {
    const graph = graphFromFile(tinyResNetFile({ seed: 3, foldBatchNorm: false }));
    const sample = 3 * 32 * 32;
    const input = Float32Array.from(uniform(rng(21), 3 * sample, 0, 1));
    const batched = cpu.run(graph, input, 3).get('logits')!;
    expect(batched.shape).toEqual([3, 10]);
    for (let n = 0; n < 3; n++) {
      const single = cpu.run(graph, Float64Array.from(input.subarray(n * sample, (n + 1) * sample)), 1).get('logits')!;
      expectClose(batched.data.subarray(n * 10, (n + 1) * 10), single.data, 1e-12);
    }
  });

  it('running a Graph optimizes it; the unoptimized plan gives the same outputs', () => {
    const graph = graphFromFile(tinyResNetFile({ seed: 8, foldBatchNorm: false }));
    const input = Float64Array.from(uniform(rng(5), 2 * 3 * 32 * 32, 0, 1));
    const viaGraph = cpu.run(graph, input, 2).get('logits')!;
    const viaOptimizedPlan = cpu.run(planGraph(optimize(graph), 2), input, 2).get('logits')!;
    const viaRawPlan = cpu.run(planGraph(graph, 2), input, 2).get('logits')!;
    expect(viaGraph.data).toEqual(viaOptimizedPlan.data);
    expectClose(viaGraph.data, viaRawPlan.data, 1e-5);
  });

  it('INPUT_SHAPE for a wrong input length or a plan for another batch; INPUT_TYPE for other arrays', () => {
    const graph = graphFromFile(smallFile());
    expectInputError(() => cpu.run(graph, new Float32Array(15), 1), 'INPUT_SHAPE', /\[1, 1, 4, 4\] needs 16 values, got 15/);
    expectInputError(() => cpu.run(graph, new Float32Array(16), 2), 'INPUT_SHAPE', /needs 32 values, got 16/);
    expectInputError(() => cpu.run(graph, new Float32Array(16), 0), 'INPUT_SHAPE');
    expectInputError(() => cpu.run(planGraph(graph, 2), new Float32Array(16), 1), 'INPUT_SHAPE', /batch 2, got batch 1/);
    expectInputError(() => cpu.run(graph, [0, 1] as unknown as Float32Array, 1), 'INPUT_TYPE');
  });
});
