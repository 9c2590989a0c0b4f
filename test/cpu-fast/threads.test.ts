/**
 * Helper threads (Node worker_threads sharing the WebAssembly memory): the same outputs, bit for bit, for every thread
 * count, at batch 1 and batch 3, once every helper has started (threadInfo); and the reasons given when threads cannot
 * run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FastCpuExecutor, type Precision } from '../../src/backends/cpu-fast/index.js';
import { WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { ThreadPool } from '../../src/backends/cpu-fast/wasm/threads.js';
import { packTernary, ternaryRowWords } from '../../src/format/ternary-pack.js';
import { readTwnFile } from '../../src/format/reader.js';
import type { Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { getOp } from '../../src/ops/registry.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { calibration } from '../op-cases/int16-reference.js';

const executors: FastCpuExecutor[] = [];
afterAll(() => executors.forEach((executor) => executor.dispose()));

async function started(threads: number, precision: Precision = 'float32'): Promise<FastCpuExecutor> {
  const executor = new FastCpuExecutor({ threads, precision });
  executors.push(executor);
  expect(await executor.threadInfo()).toEqual({ threads });
  return executor;
}

describe('FastCpuExecutor threads', () => {
  const nets = [
    { name: 'VGG-7 ×0.25', bytes: () => buildVgg7({ seed: 3, widthMultiplier: 0.25 }), pixels: 3 * 32 * 32 },
    { name: 'ResNet-18 CIFAR', bytes: () => buildResNet18({ seed: 4, variant: 'cifar' }), pixels: 3 * 32 * 32 },
  ];

  it.each(nets)('$name: 1–4 threads give identical logits at batch 1 and 3', async ({ bytes, pixels }) => {
    const graph = graphFromFile(readTwnFile(bytes()));
    const random = seededRandom(11);
    const input = Float32Array.from({ length: 3 * pixels }, () => random.uniform(0, 1));
    const single = new FastCpuExecutor();
    const expected = [1, 3].map((batch) => single.run(graph, input.subarray(0, batch * pixels), batch).get('logits')!.data);
    for (const threads of [2, 3, 4]) {
      const executor = await started(threads);
      for (const [i, batch] of [1, 3].entries()) {
        for (let repeat = 0; repeat < 2; repeat++) {
          expect(executor.run(graph, input.subarray(0, batch * pixels), batch).get('logits')!.data, `${threads} threads, batch ${batch}`).toEqual(expected[i]);
        }
      }
    }
  });

  it('the thread profile counts every task of every phase once, whichever thread ran it', async () => {
    const graph = graphFromFile(readTwnFile(nets[0]!.bytes()));
    const input = new Float32Array(nets[0]!.pixels).fill(0.5);
    const executor = await started(2);
    executor.run(graph, input, 1);
    const totals = [1, 2].map((runs) => {
      expect(executor.startThreadProfile()).toBe(true);
      for (let run = 0; run < runs; run++) executor.run(graph, input, 1);
      const profile = executor.threadProfile()!;
      expect(profile.busyMs.every((ms) => ms >= 0)).toBe(true);
      return { tasks: profile.tasks[0]! + profile.tasks[1]!, phases: profile.phases };
    });
    expect(totals[0]!.tasks).toBeGreaterThanOrEqual(totals[0]!.phases);
    expect(totals[1]).toEqual({ tasks: 2 * totals[0]!.tasks, phases: 2 * totals[0]!.phases });
    expect(new FastCpuExecutor().startThreadProfile()).toBe(false);
  });

  it('onPhase reports every phase the pool runs, in order, a ternary conv as its gather then its conv', async () => {
    const graph = graphFromFile(readTwnFile(nets[0]!.bytes()));
    const input = new Float32Array(nets[0]!.pixels).fill(0.5);
    const reports: { step: string; phase: number; task: string }[] = [];
    const executor = new FastCpuExecutor({
      threads: 2,
      onPhase: (node, phase, task, ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        reports.push({ step: node.name, phase, task });
      },
    });
    executors.push(executor);
    expect(await executor.threadInfo()).toEqual({ threads: 2 });
    executor.run(graph, input, 1);
    reports.length = 0;
    expect(executor.startThreadProfile()).toBe(true);
    executor.run(graph, input, 1);
    expect(reports).toHaveLength(executor.threadProfile()!.phases);
    const ternary = (node: GraphNode) => graph.tensors.get(node.params.weight ?? '')?.dtype === 'ternary2';
    const convs = graph.nodes.filter((node) => node.op === 'conv2d' && ternary(node));
    expect(convs.length).toBeGreaterThan(0);
    for (const conv of convs) {
      expect(reports.filter(({ step }) => step === conv.name)).toEqual([
        { step: conv.name, phase: 0, task: 'gather' },
        { step: conv.name, phase: 1, task: expect.stringMatching(/^ternaryConv(ShortOffsets)?$/) },
      ]);
    }
    // This net runs both kinds of offset lists (the tests above hold both to one thread's logits): u16 where a layer's
    // offsets fit, i32 where its grid chunk spans more than 64 KiB (conv2: 64 grid channels of 34 × 33 floats).
    const convTasks = reports.filter(({ step }) => convs.some((conv) => conv.name === step));
    expect(new Set(convTasks.map(({ task }) => task))).toEqual(new Set(['gather', 'ternaryConv', 'ternaryConvShortOffsets']));
  });

  it('int16 (VGG-7 ×0.25): 1–4 threads give identical logits at batch 1 and 3', async () => {
    const graph = graphFromFile(readTwnFile(buildVgg7({ seed: 3, widthMultiplier: 0.25 })));
    const random = seededRandom(13);
    const input = Float32Array.from({ length: 3 * 3 * 32 * 32 }, () => random.uniform(0, 1));
    const calibrated = { ...graph, metadata: { ...graph.metadata, int16: calibration(graph, input, 1, 8) } };
    const single = new FastCpuExecutor({ precision: 'int16' });
    const run = (executor: FastCpuExecutor, batch: number) =>
      executor.run(calibrated, input.subarray(0, batch * 3 * 32 * 32), batch).get('logits')!.data;
    const expected = [run(single, 1), run(single, 3)];
    for (const threads of [2, 3, 4]) {
      const executor = await started(threads, 'int16');
      expect([run(executor, 1), run(executor, 3)], `${threads} threads`).toEqual(expected);
    }
  });

  it('offset lists written with a helper are the ones this thread writes alone, before and after dispose', async () => {
    // ResNet-18's last layers: 512 channels × 9 taps, whose paired terms (4 planes per channel pair) come in 4 chunks.
    const [rows, channels, taps, chunks] = [96, 512, 9, 4];
    const random = seededRandom(21);
    const codes = Array.from({ length: rows * channels * taps }, () => Math.floor(random.uniform(0, 3)) - 1);
    const words = packTernary(codes, [rows, channels * taps]);
    const chunkWords = ternaryRowWords(2 * channels * taps) / chunks;
    const map = Int32Array.from({ length: 16 * chunkWords }, (_, k) => 4 * k + 1);
    // As storeOffsetLists does: paired codes (pairedCodes), counted (signedStarts), then written (signedOffsets).
    const write = (arena: WasmArena) => {
      const wordsAt = arena.store(words)!;
      const termBytes = 4 * rows * chunks * chunkWords;
      const terms = arena.allocate(termBytes)!;
      const inRowWords = ternaryRowWords(channels * taps);
      const chunkStride = rows * chunkWords;
      expect(arena.pairedCodes(wordsAt, inRowWords, rows, channels, taps, terms, chunkWords, chunkStride)).toBe(true);
      const starts = arena.signedStarts(terms, chunkWords, rows * chunks)!;
      const length = starts[starts.length - 1]!;
      const lists = arena.allocate(4 * length)!;
      expect(arena.signedOffsets(terms, chunkWords, starts, map, lists, 4)).toBe(true);
      const written = new Int32Array(starts.length + length);
      written.set(starts);
      written.set(arena.i32(lists, length), starts.length);
      arena.release(lists, 4 * length);
      arena.release(terms, termBytes);
      arena.release(wordsAt, words.byteLength);
      return written;
    };
    const expected = write(WasmArena.create()!);
    const shared = WasmArena.create(true)!;
    const pool = (await ThreadPool.start(shared, 2)) as ThreadPool;
    expect(await pool.whenReady(10_000)).toBe(1);
    // The helper takes a share of the tasks unless this thread took them all before it woke: try until it did.
    let helperTasks = 0;
    for (let attempt = 0; attempt < 20 && helperTasks === 0; attempt++) {
      pool.startProfile();
      expect(write(shared)).toEqual(expected);
      const { tasks } = pool.profile()!;
      expect(tasks[0]! + tasks[1]!).toBe(3 * 16); // 16 row ranges of each step
      helperTasks = tasks[1]!;
    }
    expect(helperTasks).toBeGreaterThan(0);
    pool.dispose();
    expect(write(shared)).toEqual(expected); // on this thread alone
  });

  it('a helper that fails as it starts: whenReady says so before its timeout; this thread does the work', async () => {
    // A module importing a function nobody provides: the helper's instantiation throws a LinkError.
    const failing = new WebAssembly.Module(Uint8Array.of(
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () → ()
      0x02, 0x0e, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x61, 0x62, 0x73, 0x65, 0x6e, 0x74, 0x00, 0x00, // env.absent
    ));
    const arena = WasmArena.create(true)!;
    Object.defineProperty(arena, 'modules', { value: [...arena.modules, failing] });
    const pool = (await ThreadPool.start(arena, 2)) as ThreadPool;
    expect(await pool.whenReady(60_000)).toBe(0); // the test's own timeout is far shorter
    const words = packTernary([1, -1, 0, 1, 0, -1, -1, 1], [2, 4]);
    const wordsAt = arena.store(words)!;
    expect([...arena.signedStarts(wordsAt, 1, 2)!]).toEqual([0, 2, 3, 4, 6]);
    pool.dispose();
  });

  it('runs right after threadsPlanned, while the helper may still boot, give the one-thread logits', async () => {
    const graph = graphFromFile(readTwnFile(buildVgg7({ seed: 5, widthMultiplier: 0.25 })));
    const random = seededRandom(17);
    const input = Float32Array.from({ length: 3 * 32 * 32 }, () => random.uniform(0, 1));
    const expected = new FastCpuExecutor().run(graph, input, 1).get('logits')!.data;
    const executor = new FastCpuExecutor({ threads: 2 });
    executors.push(executor);
    expect(await executor.threadsPlanned()).toEqual({ threads: 2 });
    for (let run = 0; run < 3; run++) expect(executor.run(graph, input, 1).get('logits')!.data).toEqual(expected);
    expect(await executor.threadInfo()).toEqual({ threads: 2 });
    expect(executor.run(graph, input, 1).get('logits')!.data).toEqual(expected);
  });

  it('the helper wake word is the one a blocked helper waits on: a notify there from another thread wakes it', async () => {
    const graph = graphFromFile(readTwnFile(buildVgg7({ seed: 5, widthMultiplier: 0.25 })));
    const input = new Float32Array(3 * 32 * 32).fill(0.5);
    expect(new FastCpuExecutor().helperWakeWord()).toBeUndefined();
    const executor = await started(2);
    executor.run(graph, input, 1);
    const { buffer, index } = executor.helperWakeWord()!;
    // Once its spin after the run is over (SPIN_MS, 2 ms), the helper blocks on that word until woken.
    let woken = 0;
    for (let tries = 0; tries < 100 && woken === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      woken = Atomics.notify(new Int32Array(buffer), index);
    }
    expect(woken).toBe(1);
    expect(Atomics.notify(new Int32Array(buffer), index + 1)).toBe(0);
  });

  it('disposed as it is made: the helpers it started stop, and it runs on its own thread, as before', async () => {
    const graph = graphFromFile(readTwnFile(buildVgg7({ seed: 3, widthMultiplier: 0.25 })));
    const input = new Float32Array(3 * 32 * 32).fill(0.25);
    const expected = new FastCpuExecutor().run(graph, input, 1).get('logits')!.data;
    const executor = new FastCpuExecutor({ threads: 2 });
    executor.dispose();
    expect(await executor.threadInfo()).toEqual({ threads: 1, reason: 'the executor was disposed' });
    expect(executor.run(graph, input, 1).get('logits')!.data).toEqual(expected);
  });

  it('normalize, batchnorm, relu and softmax cut into tasks on helpers: the one-thread floats', async () => {
    // [3, 64, 32, 33] activations: each elementwise step is over 2^16 floats, so it is cut into tasks (wasm/tasks.ts).
    const [channels, height, width] = [64, 32, 33];
    const random = seededRandom(21);
    const stat = (low: number, high: number): Tensor => ({
      dtype: 'f32', shape: [channels], data: Float32Array.from({ length: channels }, () => random.uniform(low, high)),
    });
    const tensors = new Map([
      ['gamma', stat(0.5, 1.5)], ['beta', stat(-1, 1)], ['mean', stat(-1, 1)], ['var', stat(0.5, 2)],
    ]);
    const node = (name: string, op: string, input: string, output: string, params = {}, attrs = {}): GraphNode => {
      const raw = { name, op, inputs: [input], outputs: [output], attrs, params };
      return { ...raw, attrs: getOp(op)!.normalize(raw, tensors, name) };
    };
    const params = { gamma: 'gamma', beta: 'beta', mean: 'mean', var: 'var' };
    const graph: Graph = {
      input: { name: 'x', shape: [channels, height, width], colorLayout: 'gray', mean: [0], std: [1], labels: [] },
      nodes: [
        node('bn', 'batchnorm', 'x', 'b', params, { epsilon: 1e-5 }),
        node('relu', 'relu', 'b', 'r'),
        node('flatten', 'flatten', 'r', 'f'),
        node('softmax', 'softmax', 'f', 'p'),
      ],
      outputs: ['p'],
      tensors,
      metadata: {},
    };
    const input = Float32Array.from({ length: 3 * channels * height * width }, () => random.uniform(-3, 3));
    const expected = new FastCpuExecutor().run(graph, input, 3).get('p')!.data;
    const executor = await started(3);
    for (let repeat = 0; repeat < 3; repeat++) expect(executor.run(graph, input, 3).get('p')!.data).toEqual(expected);
  });

  it('one thread, with the reason, for the JavaScript kernels; threads: 1 needs no reason', async () => {
    const js = new FastCpuExecutor({ kernels: 'js', threads: 4 });
    expect(await js.threadInfo()).toEqual({ threads: 1, reason: 'the JavaScript kernels run on one thread' });
    expect(await new FastCpuExecutor({ threads: 1 }).threadInfo()).toEqual({ threads: 1 });
  });
});
