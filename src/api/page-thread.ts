import type { Executor } from './executor.js';

/**
 * Multiply-adds per run (a ternary layer's adds count as one) up to which the CPU backend runs on the calling thread
 * by default instead of in its Web Worker. The worker's two message hand-offs (the input over, the logits back, each a
 * task on the other thread's event loop) cost 0.5–0.7 ms in Chromium on the 2-core machine whatever the run: twice
 * LeNet-5's whole batch-1 run on the page's thread (4.3 M, 0.3 ms, about 14 G/s on one core). For such runs the worker
 * triples the wait, which is why ONNX Runtime Web runs on the calling thread by default too. 40 M takes about 3 ms
 * there, so even a device three times slower blocks the page for less than a 16 ms frame; beyond it the hand-offs
 * cost under a fifth of the run, and the page's thread is better left free for the page.
 */
export const PAGE_THREAD_MAX_WORK = 40_000_000;

/** Images per run that stay on the calling thread (0: none, the model is too big for the page's thread). */
export function pageThreadBatch(multiplyAddsPerImage: number): number {
  return Math.floor(PAGE_THREAD_MAX_WORK / Math.max(1, multiplyAddsPerImage));
}

/**
 * The calling thread's executor for runs of at most `maxBatch` images, a worker's for larger ones: started on the first
 * such run (a model this small loads in milliseconds), so pages that never run big batches never start one.
 */
export function routedExecutor(
  page: Executor,
  maxBatch: number,
  startWorker: () => Promise<Executor>,
  threadReason: string,
): Executor {
  let worker: Promise<Executor> | undefined;
  return {
    ...page,
    threadReason,
    run: async (input, batch) => {
      if (batch <= maxBatch) return page.run(input, batch);
      worker ??= startWorker();
      return (await worker).run(input, batch);
    },
    dispose() {
      page.dispose();
      // A worker still starting is ended once it has.
      void worker?.then((started) => started.dispose()).catch(() => undefined);
    },
  };
}
