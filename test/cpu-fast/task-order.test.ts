/**
 * Helper threads run a phase's tasks in whatever order they take them (threads.ts), so a phase's tasks must not
 * depend on each other: none may write what another writes or reads, or read what its thread's previous task left
 * in the thread scratch. Here each phase with several tasks, cut for 2 and 3 threads, runs twice on this thread from
 * the same memory, its tasks in order and then in reverse, and both must leave every byte of the memory alike
 * (threads.test.ts holds real helpers' logits to one thread's; an overlap there shows only when the timing is
 * right). The weights' offset-list tasks (arena.ts runShared) are checked the same way as they are written.
 */
import { describe, expect, it } from 'vitest';
import { FastCpuExecutor, type Precision } from '../../src/backends/cpu-fast/index.js';
import { TASK_NAMES, type WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { TASK_INTS } from '../../src/backends/cpu-fast/wasm/kernels.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildLeNet5, buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { calibration } from '../op-cases/int16-reference.js';

/**
 * Where the tasks' thread scratch is put instead of the executor's, whose bytes may differ by order: room for the
 * most sums a conv task keeps (linear.ts TASK_SUMS_BYTES, 512 KiB) and more.
 */
const SCRATCH_BYTES = 1 << 20;

/**
 * An executor whose phases keep their cuts for `threads` threads but run on this thread (its helpers stopped as it
 * is made), each phase of several tasks in both orders; the phases whose orders disagreed, by task name.
 */
async function orderChecked(precision: Precision, threads: number) {
  const executor = new FastCpuExecutor({ precision, threads });
  executor.dispose();
  await executor.threadsPlanned(); // the helpers have stopped, and no longer share the offset lists' tasks
  // The arena is private to the executor; this test reaches it to run the tasks itself.
  const arena = (executor as unknown as { arena: WasmArena }).arena;
  const scratch = arena.allocate(SCRATCH_BYTES)!;
  const disagreed: string[] = [];
  let checked = 0;
  // The arena's own dispatch, on the tasks put in `order`.
  const runTasks = arena.runTasks.bind(arena);
  const runInOrder = (tasks: Int32Array, order: number[]) => {
    const ordered = new Int32Array(tasks.length);
    order.forEach((index, at) => ordered.set(tasks.subarray(index * TASK_INTS, (index + 1) * TASK_INTS), at * TASK_INTS));
    runTasks(ordered, scratch);
  };
  arena.runTasks = (tasks: Int32Array) => {
    const count = tasks.length / TASK_INTS;
    const forward = Array.from({ length: count }, (_, i) => i);
    if (count < 2) return runInOrder(tasks, forward);
    const memory = () => new Uint8Array(arena.memory.buffer);
    const before = memory().slice();
    runInOrder(tasks, forward);
    const inOrder = memory().slice();
    memory().set(before);
    runInOrder(tasks, forward.reverse());
    const reversed = memory();
    const outside = (bytes: Uint8Array) => [bytes.subarray(0, scratch), bytes.subarray(scratch + SCRATCH_BYTES)];
    const expected = outside(inOrder);
    if (outside(reversed).some((part, i) => Buffer.compare(part, expected[i]!) !== 0)) {
      const differs = reversed.findIndex((byte, i) => byte !== inOrder[i] && (i < scratch || i >= scratch + SCRATCH_BYTES));
      disagreed.push(`${TASK_NAMES[tasks[0]!]} (${count} tasks, byte ${differs})`);
    }
    checked++;
  };
  return { executor, disagreed, checked: () => checked };
}

describe('the tasks of a phase', () => {
  const nets = [
    { name: 'LeNet-5', bytes: () => buildLeNet5({ seed: 31 }), pixels: 28 * 28, batches: [1, 8, 11] },
    { name: 'VGG-7 ×0.25', bytes: () => buildVgg7({ seed: 3, widthMultiplier: 0.25 }), pixels: 3 * 32 * 32, batches: [1, 3] },
    { name: 'ResNet-18 CIFAR', bytes: () => buildResNet18({ seed: 4, variant: 'cifar' }), pixels: 3 * 32 * 32, batches: [1] },
  ];
  const cases = nets.flatMap((net) => (['float32', 'int16'] as const).map((precision) => ({ ...net, precision })));

  it.each(cases)('$name, $precision: leave the same memory in either order, cut for 2 and 3 threads', async ({
    bytes, pixels, batches, precision,
  }) => {
    const graph = graphFromFile(readTwnFile(bytes()));
    const random = seededRandom(5);
    const most = Math.max(...batches);
    const input = Float32Array.from({ length: most * pixels }, () => random.uniform(0, 1));
    const model = precision === 'int16'
      ? { ...graph, metadata: { ...graph.metadata, int16: calibration(graph, input, most, 8) } }
      : graph;
    for (const threads of [2, 3]) {
      const { executor, disagreed, checked } = await orderChecked(precision, threads);
      for (const batch of batches) executor.run(model, input.subarray(0, batch * pixels), batch);
      expect(disagreed, `${threads} threads`).toEqual([]);
      expect(checked()).toBeGreaterThan(batches.length * 3);
    }
  });
});
