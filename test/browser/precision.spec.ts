import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = join(import.meta.dirname, '..', '..');

test("precision 'int16' runs in the CPU worker and on the page's thread, with the same logits", async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  const results = await page.evaluate(
    async ({ entry, reader, writer, calibrate, model, image }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      const { readTwnFile } = (await import(reader)) as typeof import('../../src/format/reader.js');
      const { writeTwnFile } = (await import(writer)) as typeof import('../../src/format/writer.js');
      const { withSeededInt16 } = (await import(calibrate)) as typeof import('../../src/models/int16-calibration.js');
      const shipped = readTwnFile(new Uint8Array(await (await fetch(model)).arrayBuffer()));
      const bytes = writeTwnFile(withSeededInt16(shipped, 4, 1));
      const bitmap = await createImageBitmap(await (await fetch(image)).blob());
      const runs = [];
      for (const cpuWorker of [true, false]) {
        const classifier = await twn.loadModel(bytes, { backend: 'cpu', cpuWorker, precision: 'int16' });
        const { thread, precision, precisionReason } = classifier.info.backend;
        const [best] = await classifier.classify(bitmap, { topK: 1 });
        runs.push({ thread, precision, precisionReason, index: best!.index, probability: best!.probability });
        classifier.dispose();
      }
      const { int16: _, ...uncalibrated } = shipped.metadata;
      const plainBytes = writeTwnFile({ ...shipped, metadata: uncalibrated });
      const plain = await twn.loadModel(plainBytes, { backend: 'cpu', precision: 'int16' });
      const declined = plain.info.backend;
      plain.dispose();
      return { runs, declined: { precision: declined.precision, reason: declined.precisionReason } };
    },
    {
      entry: `/@fs${REPO}/src/index.ts`,
      reader: `/@fs${REPO}/src/format/reader.ts`,
      writer: `/@fs${REPO}/src/format/writer.ts`,
      calibrate: `/@fs${REPO}/src/models/int16-calibration.ts`,
      model: `/@fs${REPO}/demo/models/lenet5-twn.twn`,
      image: `/@fs${REPO}/demo/public/gallery/mnist-00000.png`,
    },
  );
  const [worker, main] = results.runs;
  expect(worker).toMatchObject({ thread: 'worker', precision: 'int16', index: 7 });
  expect(main).toMatchObject({ thread: 'main', precision: 'int16', index: 7 });
  expect(worker!.precisionReason).toBeUndefined();
  expect(worker!.probability).toBe(main!.probability);
  // Without a calibration: float32, and why.
  expect(results.declined.precision).toBe('float32');
  expect(results.declined.reason).toMatch(/int16/);
});
