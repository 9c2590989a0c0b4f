import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = join(import.meta.dirname, '..', '..');

type WorkerCounting = typeof globalThis & { workerCounts?: { started: number; ended: number } };

/**
 * Runs in the page (page.evaluate): from here on every Worker it starts and ends is counted in
 * globalThis.workerCounts, where the library calls the constructor and terminate().
 */
function countWorkers(): void {
  const counts = { started: 0, ended: 0 };
  (globalThis as WorkerCounting).workerCounts = counts;
  globalThis.Worker = class extends globalThis.Worker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      counts.started++;
    }
    override terminate(): void {
      counts.ended++;
      super.terminate();
    }
  };
}

test("by default the CPU backend runs short runs on the page's thread and long ones in its worker, same logits", async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  const result = await page.evaluate(
    async ({ entry, models, model }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      const { buildVgg7 } = (await import(models)) as typeof import('../../src/models/index.js');
      const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
      const input = Float32Array.from({ length: 12 * 28 * 28 }, (_, i) => ((i * 37) % 251) / 251);
      const runs: Record<string, { thread: string; threadReason?: string; logits: number[][] }> = {};
      for (const cpuWorker of [undefined, true, false]) {
        const classifier = await twn.loadModel(bytes, { backend: 'cpu', cpuWorker, threads: 1 });
        const { thread, threadReason } = classifier.info.backend;
        // Batch 12 is past LeNet-5's bound (9): by default it runs in a worker started for it. The worker hands each
        // run's input buffer back for the next run's input: batches 8 and 1 after 12 go in a larger one.
        const logits = [];
        for (const batch of [1, 8, 12, 8, 1]) {
          logits.push([...(await classifier.run(input.slice(0, batch * 28 * 28), batch))]);
        }
        runs[String(cpuWorker)] = { thread, threadReason, logits };
        classifier.dispose();
      }
      const vgg = await twn.loadModel(buildVgg7({ seed: 5, widthMultiplier: 0.5 }), { backend: 'cpu' });
      const big = { thread: vgg.info.backend.thread, threadReason: vgg.info.backend.threadReason };
      vgg.dispose();
      return { runs, big };
    },
    {
      entry: `/@fs${REPO}/src/index.ts`,
      models: `/@fs${REPO}/src/models/index.ts`,
      model: `/@fs${REPO}/demo/models/lenet5-twn.twn`,
    },
  );
  const { undefined: byDefault, true: worker, false: main } = result.runs;
  expect(byDefault).toMatchObject({ thread: 'main' });
  expect(byDefault!.threadReason).toMatch(/4\.3 M multiply-adds per image: runs of up to 9 images are short/);
  expect(worker).toMatchObject({ thread: 'worker', threadReason: 'cpuWorker: true' });
  expect(main).toMatchObject({ thread: 'main', threadReason: 'cpuWorker: false' });
  expect(byDefault!.logits).toEqual(main!.logits);
  expect(byDefault!.logits).toEqual(worker!.logits);
  expect(result.big.thread).toBe('worker');
  expect(result.big.threadReason).toMatch(/M multiply-adds per image: long runs, kept off the page's thread/);
});

test('a large file readies its CPU worker while it is parsed: the load runs in it, or keeps it idle for the next', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate(countWorkers);
  const result = await page.evaluate(
    async ({ entry, directory }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      const counts = (globalThis as WorkerCounting).workerCounts!;
      const load = async (file: string) => {
        const bytes = new Uint8Array(await (await fetch(`${directory}/${file}`)).arrayBuffer());
        const model = await twn.loadModel(bytes, { backend: 'cpu', threads: 1 });
        return { size: bytes.byteLength, thread: model.info.backend.thread, ...counts };
      };
      // LeNet-5 in float32: 2.3 MB, but short runs, which stay on the page's thread: its early worker is kept idle.
      const small = await load('lenet5-fp.twn');
      // VGG-7 ×0.5 (830 KB) runs in that idle worker, taken early: no second one starts.
      const big = await load('vgg7-twn-w05.twn');
      return { small, big };
    },
    { entry: `/@fs${REPO}/src/index.ts`, directory: `/@fs${REPO}/demo/models` },
  );
  expect(result.small).toMatchObject({ thread: 'main', started: 1, ended: 0 });
  expect(result.big).toMatchObject({ thread: 'worker', started: 1, ended: 0 });
  // Both files are past the size from which the loader starts the worker early (load.ts EARLY_WORKER_MIN_BYTES).
  expect(Math.min(result.small.size, result.big.size)).toBeGreaterThanOrEqual(512 * 1024);
});

test("two threads in the worker of a cross-origin isolated page: the page starts the helper, a disposed model's worker and helper serve the next, same logits", async ({
  page,
}) => {
  // Shared memory needs cross-origin isolation; the harness server does not send these headers, so they are added.
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    await route.fulfill({ response, headers: { ...response.headers(), ...isolation } });
  });
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate(countWorkers);
  const result = await page.evaluate(
    async ({ entry, models }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      const { buildVgg7 } = (await import(models)) as typeof import('../../src/models/index.js');
      const counts = (globalThis as WorkerCounting).workerCounts!;
      const bytes = buildVgg7({ seed: 3, widthMultiplier: 0.5 });
      const input = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => ((i * 53) % 257) / 257);
      const runs = [];
      // undefined: the default threads (the hardware's), which the loader's early worker must start helpers for too.
      // Each load after the first takes the worker (and helpers) the last one's dispose left idle.
      for (const threads of [1, 2, undefined]) {
        const model = await twn.loadModel(bytes, { backend: 'cpu', cpuWorker: true, threads });
        const logits = [...(await model.run(input, 2))];
        const { thread, threads: ran } = model.info.backend;
        const startedWhileLoaded = counts.started - counts.ended;
        model.dispose();
        runs.push({ thread, ran, startedWhileLoaded, logits });
      }
      return { isolated: globalThis.crossOriginIsolated, hardware: navigator.hardwareConcurrency, runs, ...counts };
    },
    { entry: `/@fs${REPO}/src/index.ts`, models: `/@fs${REPO}/src/models/index.ts` },
  );
  expect(result.isolated).toBe(true);
  const [one, two, byDefault] = result.runs;
  expect(one).toMatchObject({ thread: 'worker', ran: 1, startedWhileLoaded: 1 });
  // The CPU worker and its helper, both started by the page (a helper the worker starts boots after its first run).
  expect(two).toMatchObject({ thread: 'worker', ran: 2, startedWhileLoaded: 2 });
  expect(two!.logits).toEqual(one!.logits);
  // By default as many threads as the hardware has (at most 4), every helper started by the page with the worker.
  const defaultThreads = Math.min(4, result.hardware);
  expect(byDefault).toMatchObject({ thread: 'worker', ran: defaultThreads, startedWhileLoaded: defaultThreads });
  expect(byDefault!.logits).toEqual(one!.logits);
  // One worker served all three models, and the helpers the page started for the largest thread count: none ended
  // while the last model's worker is idle, every one once it has been idle for 30 s (worker-executor.ts).
  expect(result).toMatchObject({ started: defaultThreads, ended: 0 });
  await page.waitForTimeout(31_000);
  expect(await page.evaluate(() => (globalThis as WorkerCounting).workerCounts)).toEqual({
    started: defaultThreads,
    ended: defaultThreads,
  });
});
