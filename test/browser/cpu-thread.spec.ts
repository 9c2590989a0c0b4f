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
