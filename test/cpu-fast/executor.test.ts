import { describe, expect, it } from 'vitest';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/index.js';
import { TwnInputError } from '../../src/errors.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { seededRandom } from '../../src/models/random.js';
import { BATCH_SIZES_KEPT } from '../../src/plan/batch-cache.js';
import { planGraph } from '../../src/plan/plan.js';
import { smallFile, tinyResNetFile } from '../graph/fixtures.js';

const SAMPLE = 3 * 32 * 32;

function pixels(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count }, () => random.uniform(0, 1));
}

describe('FastCpuExecutor', () => {
  const graph = graphFromFile(tinyResNetFile({ seed: 4, foldBatchNorm: true }));

  it('reuses its buffers: runs repeat exactly, interleaved batch sizes do not disturb each other', () => {
    const fast = new FastCpuExecutor();
    const one = pixels(SAMPLE, 1);
    const three = pixels(3 * SAMPLE, 2);
    const first = fast.run(graph, one, 1).get('logits')!;
    const batched = fast.run(graph, three, 3).get('logits')!;
    first.data.fill(NaN); // the caller owns the returned arrays
    expect(fast.run(graph, one, 1).get('logits')!.data).toEqual(new FastCpuExecutor().run(graph, one, 1).get('logits')!.data);
    expect(fast.run(graph, three, 3).get('logits')!.data).toEqual(batched.data);
  });

  it(`a batch size evicted after ${BATCH_SIZES_KEPT} others gets new buffers and the same results`, () => {
    const fast = new FastCpuExecutor();
    const one = pixels(SAMPLE, 3);
    const before = fast.run(graph, one, 1).get('logits')!.data;
    for (let batch = 2; batch <= BATCH_SIZES_KEPT + 1; batch++) fast.run(graph, pixels(batch * SAMPLE, batch), batch);
    expect(fast.run(graph, one, 1).get('logits')!.data).toEqual(before);
  });

  it('prepare() binds before the first run, which gives the same logits; a plan over maxRunBytes waits for run()', () => {
    const input = pixels(SAMPLE, 5);
    const prepared = new FastCpuExecutor();
    expect(prepared.prepare(graph, 1)).toBe(true);
    const expected = new FastCpuExecutor().run(graph, input, 1).get('logits')!.data;
    expect(prepared.run(graph, input, 1).get('logits')!.data).toEqual(expected);
    const tight = new FastCpuExecutor({ maxRunBytes: 1024 });
    expect(tight.prepare(graph, 1)).toBe(false);
    expect(() => tight.run(graph, input, 1)).toThrow(TwnInputError);
  });

  it('a Graph runs as its optimized plan; Float64Array input equals Float32Array input', () => {
    const fast = new FastCpuExecutor();
    const input = pixels(2 * SAMPLE, 3);
    const viaGraph = fast.run(graph, input, 2).get('logits')!;
    const viaPlan = fast.run(planGraph(optimize(graph), 2), Float64Array.from(input), 2).get('logits')!;
    expect(viaGraph.shape).toEqual([2, 10]);
    expect(viaPlan.data).toEqual(viaGraph.data);
  });

  it('INPUT_SHAPE for a wrong length, batch or plan batch; INPUT_TYPE for other arrays', () => {
    const small = graphFromFile(smallFile());
    const fast = new FastCpuExecutor();
    const cases: [() => unknown, string, RegExp?][] = [
      [() => fast.run(small, new Float32Array(15), 1), 'INPUT_SHAPE', /\[1, 1, 4, 4\] needs 16 values, got 15/],
      [() => fast.run(small, new Float32Array(16), 0), 'INPUT_SHAPE'],
      [() => fast.run(planGraph(small, 2), new Float32Array(16), 1), 'INPUT_SHAPE', /batch 2, got batch 1/],
      [() => fast.run(small, [0, 1] as unknown as Float32Array, 1), 'INPUT_TYPE'],
    ];
    for (const [run, code, message] of cases) {
      const error = (() => {
        try {
          run();
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TwnInputError);
      expect((error as TwnInputError).code).toBe(code);
      if (message) expect((error as TwnInputError).message).toMatch(message);
    }
  });
});
