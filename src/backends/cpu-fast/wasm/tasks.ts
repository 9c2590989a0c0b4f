import type { WasmBoundStep, WasmStepIo } from '../kernel.js';
import type { ArenaRegions } from './arena.js';
import { ranges, TASKS_PER_THREAD, taskList } from './linear.js';
/**
 * Floats read below which a task is not worth handing to another thread: a hand-off costs microseconds, and pooling
 * or an elementwise kernel gets through 2^16 floats in tens of them. A small step is then one task, which the
 * thread running the plan runs without publishing a phase.
 */
const TASK_FLOATS = 1 << 16;

/**
 * How a memory-bound step's items (floats, planes or rows of `floats` each) are cut into tasks: one for one thread,
 * else up to TASKS_PER_THREAD per thread, none under TASK_FLOATS.
 */
export function streamingTasks(items: number, floats: number, threads: number): [number, number][] {
  if (threads === 1) return ranges(items, items);
  const fewest = Math.ceil(TASK_FLOATS / Math.max(1, floats));
  return ranges(items, Math.max(fewest, Math.ceil(items / (TASKS_PER_THREAD * threads))));
}

/**
 * A memory-bound step as one phase of `task`: one descriptor of `size` i32 fields, written by `fill`, stored in the
 * arena, and tasks over `items` of `floatsPerItem` floats each (streamingTasks). undefined when the arena is full.
 */
export function streamingStep(
  task: number,
  items: number,
  floatsPerItem: number,
  size: number,
  fill: (fields: Int32Array, io: WasmStepIo) => void,
): WasmBoundStep {
  return {
    scratchBytes: () => 0,
    threadScratchBytes: 0,
    phases(io: WasmStepIo, regions: ArenaRegions, threads: number) {
      const fields = new Int32Array(size);
      fill(fields, io);
      const descriptor = regions.store(fields);
      if (descriptor === undefined) return undefined;
      const cut = streamingTasks(items, floatsPerItem, threads);
      return [taskList(cut.map(([start, end]) => [task, descriptor, start, end]))];
    },
  };
}
