/**
 * Issue 11 items 1–2: generated graphs at scale load in time linear in nodes + edges, run, or are refused by a
 * declared limit with its code. Scaling is checked by counting work (elements visited by array methods), not time.
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { type TwnFormatError, TwnInputError } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import { MAX_NODES, MAX_TENSORS, type TwnFile } from '../../src/format/types.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildLeNet5File } from '../../src/models/lenet5.js';
import { DEFAULT_MAX_RUN_BYTES, planGraph } from '../../src/plan/plan.js';
import { expectCloseToReference } from '../cpu-fast/compare.js';
import { assemble, splitFile } from '../format/fixtures.js';
import { parallelReaders, reluChain, sharedWeightBlocks } from '../fuzz/adversarial-graphs.js';
import { rng, uniform } from '../ops/helpers.js';

function load(file: TwnFile) {
  return optimize(graphFromFile(readTwnFile(writeTwnFile(file))));
}

/** The fast CPU backend against the float64 reference on a seeded input. */
function expectRunsLikeReference(file: TwnFile): void {
  const graph = graphFromFile(readTwnFile(writeTwnFile(file)));
  const input = Float32Array.from(uniform(rng(5), 4, 0, 1));
  const output = graph.outputs[0]!;
  const fast = new FastCpuExecutor().run(graph, input, 1).get(output)!;
  const reference = new CpuExecutor().run(graph, input, 1).get(output)!;
  expectCloseToReference(fast.data, reference.data, 1e-4);
}

const ARRAY_METHODS = [
  'map',
  'forEach',
  'filter',
  'flatMap',
  'every',
  'some',
  'reduce',
  'find',
  'findIndex',
  'indexOf',
  'includes',
  'sort',
  'splice',
  'shift',
  'slice',
  'concat',
  'fill',
] as const;

/**
 * Elements visited by Array.prototype methods while `run` runs: each call counts its array's length. Re-sorting a
 * ready list per node, rescanning the graph per fusion or scanning every free slot per value all show up here.
 */
function arrayWork(run: () => void): number {
  let visited = 0;
  const prototype = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = ARRAY_METHODS.map((name) => prototype[name]!);
  ARRAY_METHODS.forEach((name, i) => {
    const original = originals[i]!;
    prototype[name] = function (this: unknown[], ...args: unknown[]) {
      visited += this.length;
      return original.apply(this, args);
    };
  });
  try {
    run();
  } finally {
    ARRAY_METHODS.forEach((name, i) => (prototype[name] = originals[i]!));
  }
  return visited;
}

/** Work to read, check, optimize and plan `file` (bytes made beforehand). */
function loadWork(file: TwnFile): number {
  const bytes = writeTwnFile(file);
  return arrayWork(() => planGraph(optimize(graphFromFile(readTwnFile(bytes))), 1));
}

describe('linear-time load', () => {
  const shapes: [string, (n: number) => TwnFile][] = [
    ['many nodes reading the input', (n) => parallelReaders(n)],
    ['a chain', (n) => reluChain(n)],
    ['a chain stored backwards (sorted by Kahn)', (n) => reluChain(n, { reversed: true })],
    ['conv→batchnorm→relu blocks sharing one weight', (n) => sharedWeightBlocks(n / 3)],
  ];
  for (const [what, make] of shapes) {
    it(`${what}: 4× the nodes cost at most ~4× the work`, () => {
      const small = loadWork(make(900));
      const large = loadWork(make(3600));
      // Quadratic passes give ~16×; 4.5 leaves room for fixed costs that do not scale.
      expect(large / small).toBeLessThan(4.5);
    });
  }

  it('a cycle through every node is reported (CYCLE) in linear work, with a short message', () => {
    const small = writeTwnFile(reluChain(900));
    const cycle = (n: number) => {
      const { header, data } = splitFile(small);
      const json = JSON.parse(header);
      json.nodes = reluChain(n, { cyclic: true }).nodes;
      return assemble(JSON.stringify(json), data);
    };
    const work = (bytes: Uint8Array) =>
      arrayWork(() =>
        expect(() => graphFromFile(readTwnFile(bytes))).toThrow(expect.objectContaining({ code: 'CYCLE' })),
      );
    expect(work(cycle(3600)) / work(cycle(900))).toBeLessThan(4.5);
    const error = (() => {
      try {
        graphFromFile(readTwnFile(cycle(3600)));
      } catch (caught) {
        return caught as TwnFormatError;
      }
    })();
    expect(error?.message).toMatch(/"n0", .* and 3592 more are on or behind a cycle/);
    expect(error!.message.length).toBeLessThan(200);
  });

  it('big graphs load, fold, fuse and run like the float64 reference', () => {
    expectRunsLikeReference(parallelReaders(3000));
    expectRunsLikeReference(reluChain(5000, { reversed: true }));
    const blocks = sharedWeightBlocks(2000);
    expectRunsLikeReference(blocks);
    const graph = load(blocks);
    // Every block became one conv with relu, all of them still reading the one shared weight tensor.
    expect(graph.nodes.filter((node) => node.op === 'conv2d')).toHaveLength(2000);
    expect(new Set(graph.nodes.flatMap((node) => (node.params.weight ? [node.params.weight] : []))).size).toBe(1);
  });

  it(`a chain of exactly MAX_NODES = ${MAX_NODES} nodes loads and runs`, () => {
    const graph = load(reluChain(MAX_NODES));
    expect(graph.nodes).toHaveLength(MAX_NODES + 1);
    const input = new Float32Array([0, 0.25, 0.5, 1]);
    const output = new FastCpuExecutor().run(graph, input, 1).get(graph.outputs[0]!)!;
    // normalize: (x − 0.5)/0.25, then relu (any number of times).
    expect([...output.data]).toEqual([0, 0, 0, 2]);
  });
});

describe('declared limits', () => {
  /** A valid file's bytes with the header's `key` replaced; CRC and lengths stay valid. */
  function withHeader(edit: (json: Record<string, unknown>) => void): Uint8Array {
    const { header, data } = splitFile(writeTwnFile(reluChain(2)));
    const json = JSON.parse(header);
    edit(json);
    return assemble(JSON.stringify(json), data);
  }

  it(`TOO_MANY_NODES: ${MAX_NODES + 1} nodes, refused before any node is checked`, () => {
    const bytes = withHeader((json) => {
      // Invalid nodes: the count is checked first, so none of them is looked at.
      json.nodes = new Array(MAX_NODES + 1).fill(0);
    });
    expect(() => readTwnFile(bytes)).toThrow(
      expect.objectContaining({
        code: 'TOO_MANY_NODES',
        path: '$.nodes',
        message: expect.stringContaining(`${MAX_NODES + 1} nodes, more than the limit of ${MAX_NODES}`),
      }),
    );
  });

  it(`TOO_MANY_TENSORS: ${MAX_TENSORS + 1} tensor entries`, () => {
    const bytes = withHeader((json) => {
      json.tensors = Object.fromEntries(Array.from({ length: MAX_TENSORS + 1 }, (_, i) => [`t${i}`, 0]));
    });
    expect(() => readTwnFile(bytes)).toThrow(expect.objectContaining({ code: 'TOO_MANY_TENSORS', path: '$.tensors' }));
  });

  it('RUN_TOO_LARGE: LeNet-5 at batch 200,000 is refused by every backend before allocating', () => {
    const graph = graphFromFile(buildLeNet5File({ seed: 1 }));
    const batch = 200_000;
    const input = new Float32Array(1); // never looked at: the plan is refused first
    const refusal = expect.objectContaining({
      code: 'RUN_TOO_LARGE',
      message: expect.stringMatching(
        new RegExp(`batch ${batch} needs \\d+ bytes .* maxRunBytes = ${DEFAULT_MAX_RUN_BYTES}`),
      ),
    });
    expect(() => planGraph(optimize(graph), batch)).toThrow(refusal);
    expect(() => new FastCpuExecutor().run(graph, input, batch)).toThrow(refusal);
    expect(() => new CpuExecutor().run(graph, input, batch)).toThrow(refusal);
    expect(() => planGraph(optimize(graph), batch)).toThrow(TwnInputError);
  });

  it('maxRunBytes: the plan’s float32 slot bytes are the measure; one byte less is refused', () => {
    const graph = optimize(graphFromFile(buildLeNet5File({ seed: 1 })));
    const needed = 4 * planGraph(graph, 3).slots.reduce((sum, elements) => sum + elements, 0);
    expect(planGraph(graph, 3, { maxRunBytes: needed }).batch).toBe(3);
    expect(() => planGraph(graph, 3, { maxRunBytes: needed - 1 })).toThrow(
      expect.objectContaining({ code: 'RUN_TOO_LARGE', message: expect.stringContaining(`needs ${needed} bytes`) }),
    );
    const cpu = new FastCpuExecutor({ maxRunBytes: needed });
    expect(cpu.run(graph, new Float32Array(3 * 28 * 28), 3).size).toBe(1);
    expect(() => cpu.run(graph, new Float32Array(4 * 28 * 28), 4)).toThrow(
      expect.objectContaining({ code: 'RUN_TOO_LARGE' }),
    );
  });
});
