import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = join(import.meta.dirname, '..', '..');

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
        // Batch 12 is past LeNet-5's bound (9): by default it runs in a worker started for it.
        const logits = [];
        for (const batch of [1, 8, 12]) logits.push([...(await classifier.run(input.slice(0, batch * 28 * 28), batch))]);
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

test('a large file starts its CPU worker while it is parsed: the load runs in it, or ends it if none does', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  const result = await page.evaluate(
    async ({ entry, directory }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      // Every worker this page starts and ends, counted where the library calls the constructor and terminate().
      const counts = { started: 0, ended: 0 };
      const Original = globalThis.Worker;
      globalThis.Worker = class extends Original {
        constructor(...args: ConstructorParameters<typeof Worker>) {
          super(...args);
          counts.started++;
        }
        override terminate(): void {
          counts.ended++;
          super.terminate();
        }
      };
      const load = async (file: string) => {
        const bytes = new Uint8Array(await (await fetch(`${directory}/${file}`)).arrayBuffer());
        const model = await twn.loadModel(bytes, { backend: 'cpu', threads: 1 });
        return { size: bytes.byteLength, thread: model.info.backend.thread, ...counts };
      };
      // LeNet-5 in float32: 2.3 MB, but short runs, which stay on the page's thread: its early worker is ended.
      const small = await load('lenet5-fp.twn');
      // VGG-7 ×0.5 (830 KB) runs in the worker started for it early: no second one starts.
      const big = await load('vgg7-twn-w05.twn');
      globalThis.Worker = Original;
      return { small, big };
    },
    { entry: `/@fs${REPO}/src/index.ts`, directory: `/@fs${REPO}/demo/models` },
  );
  expect(result.small).toMatchObject({ thread: 'main', started: 1, ended: 1 });
  expect(result.big).toMatchObject({ thread: 'worker', started: 2, ended: 1 });
  // Both files are past the size from which the loader starts the worker early (load.ts EARLY_WORKER_MIN_BYTES).
  expect(Math.min(result.small.size, result.big.size)).toBeGreaterThanOrEqual(512 * 1024);
});
