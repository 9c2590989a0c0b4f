/**
 * conv2d on blocks of 8 images as lanes (wasm/linear.ts convBySampleLanes: LeNet-5's conv1 and conv2 at batch 8, 11
 * and 16, the 3 images after a block one by one): every output is the same sum in the same order as image by image,
 * so each image's conv outputs, and at int16 its logits, must equal its run alone bit for bit, for 1 to 4 threads'
 * task cuts on real helpers. The values themselves are held against the float64 reference by the op cases
 * (ops.test.ts, int16.test.ts: batch 8, 11 and 16).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FastCpuExecutor, type Precision } from '../../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildLeNet5 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { calibration } from '../op-cases/int16-reference.js';

const executors: FastCpuExecutor[] = [];
afterAll(() => executors.forEach((executor) => executor.dispose()));

describe('conv2d with images as lanes', () => {
  it.each<Precision>(['float32', 'int16'])('%s: LeNet-5 convs at batch 8, 11 and 16 equal each image alone', async (
    precision,
  ) => {
    const graph = optimize(graphFromFile(readTwnFile(buildLeNet5({ seed: 31 }))));
    const convs = graph.nodes.filter((node) => node.op === 'conv2d').map((node) => node.outputs[0]!);
    expect(convs).toHaveLength(2);
    const random = seededRandom(32);
    const image = 28 * 28;
    const input = Float32Array.from({ length: 16 * image }, () => random.uniform(0, 1));
    const int16 = calibration(graph, input, 16, 8);
    const model = { ...graph, outputs: [...convs, ...graph.outputs], metadata: { ...graph.metadata, int16 } };
    const values = (executor: FastCpuExecutor, from: number, batch: number) => {
      const outputs = executor.run(model, input.subarray(from * image, (from + batch) * image), batch);
      return model.outputs.map((name) => [...outputs.get(name)!.data]);
    };
    const single = new FastCpuExecutor({ precision });
    executors.push(single);
    const alone = Array.from({ length: 16 }, (_, n) => values(single, n, 1));
    for (const threads of [1, 2, 4]) {
      const executor = new FastCpuExecutor({ precision, threads });
      executors.push(executor);
      expect(await executor.threadInfo()).toEqual({ threads });
      for (const batch of [8, 11, 16]) {
        const outputs = values(executor, 0, batch);
        const expected = (i: number) => alone.slice(0, batch).flatMap((own) => own[i]!);
        for (const i of [0, 1]) {
          expect(outputs[i], `conv ${i + 1}, ${threads} threads, batch ${batch}`).toEqual(expected(i));
        }
        if (precision === 'int16') expect(outputs[2]).toEqual(expected(2));
      }
    }
  });
});
