/**
 * The CPU backend in a dedicated Web Worker (see worker-executor.ts), so a slow network never freezes the page.
 * It receives the graph the page already read, validated and optimized (never the file to parse again), and the kernel
 * modules the page compiled while this worker started (a cold engine takes tens of milliseconds to encode them), then
 * answers runs with the logits; errors go back serialized (errors.ts).
 */
import { FastCpuExecutor } from '../backends/cpu-fast/index.js';
import { useCompiledKernels } from '../backends/cpu-fast/wasm/arena.js';
import type { Graph } from '../graph/ir.js';
import { serializeError } from './errors.js';
import type { WorkerReply, WorkerRequest } from './worker-executor.js';

// Made by the load request, which says the thread count: an executor made before it would compile kernels for an
// unshared memory that a threaded load (shared memory) then discards.
let cpu: FastCpuExecutor | undefined;
let graph: Graph | undefined;

function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  postMessage(message, { transfer });
}

/**
 * The name of a Web Lock this worker holds for as long as it lives, once held (undefined where there are no Web
 * Locks): the page learns of the worker's end by asking for the same lock (worker-executor.ts). Asked for as the
 * worker starts, because a grant is a round trip through the browser's process, which took 4-30 ms when it was
 * asked for after the model was prepared.
 */
const livenessLock: Promise<string | undefined> = new Promise((held) => {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks === undefined || typeof crypto?.randomUUID !== 'function') return held(undefined);
  const name = `twn-cpu-worker-${crypto.randomUUID()}`;
  locks
    .request(name, () => {
      held(name);
      return new Promise<never>(() => undefined);
    })
    .catch(() => held(undefined));
});

addEventListener('message', async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === 'unload') {
    cpu?.dispose();
    cpu = undefined;
    graph = undefined;
    return;
  }
  try {
    if (request.type === 'load') {
      graph = request.graph;
      if (request.kernels) useCompiledKernels(request.kernels.shared, request.kernels.compiled);
      cpu?.dispose();
      cpu = new FastCpuExecutor(request.options);
      // The plan for batch 1 is bound while helper threads start, before the answer, so that the first run is only a
      // run; helpers still booting then (often: they take longer than a small model's binding) join it when ready.
      cpu.prepare(graph, 1);
      const threads = await cpu.threadsPlanned();
      const { kernels, precision } = cpu;
      const wakeWord = cpu.helperWakeWord();
      reply({ id: request.id, ok: true, kernels, precision, threads, wakeWord, livenessLock: await livenessLock });
      return;
    }
    if (!graph || !cpu) throw new Error('the CPU worker has no model');
    // The executor hands back fresh arrays (it keeps its own buffers), so the output can be transferred, and it has
    // copied the input, whose buffer goes back to the page for its next run's input.
    const output = cpu.run(graph, request.input, request.batch).get(graph.outputs[0] ?? '')!.data;
    const input = request.input.buffer as ArrayBuffer;
    reply({ id: request.id, ok: true, output, input }, [output.buffer, input]);
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
});
