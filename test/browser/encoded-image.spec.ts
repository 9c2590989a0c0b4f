import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = join(import.meta.dirname, '..', '..');

test('classify takes PNG bytes (Uint8Array, ArrayBuffer, Blob) in the browser, decoded natively', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  const results = await page.evaluate(
    async ({ entry, model, image }) => {
      const twn = (await import(entry)) as typeof import('../../src/index.js');
      const classifier = await twn.loadModel(model, { backend: 'cpu', cpuWorker: false });
      const png = new Uint8Array(await (await fetch(image)).arrayBuffer());
      const bitmap = await createImageBitmap(new Blob([png]));
      const inputs = { bitmap, bytes: png, buffer: png.slice().buffer, blob: new Blob([png], { type: 'image/png' }) };
      const top: Record<string, { index: number; probability: number }> = {};
      for (const [name, input] of Object.entries(inputs)) {
        const [best] = await classifier.classify(input, { topK: 1 });
        top[name] = { index: best!.index, probability: best!.probability };
      }
      const broken = await classifier.classify(new Uint8Array([1, 2, 3])).then(
        () => 'no error',
        (error: { code?: string }) => error.code,
      );
      classifier.dispose();
      return { top, broken };
    },
    {
      entry: `/@fs${REPO}/src/index.ts`,
      model: `/@fs${REPO}/demo/models/lenet5-twn.twn`,
      image: `/@fs${REPO}/demo/public/gallery/mnist-00000.png`,
    },
  );
  // The first MNIST test image is a 7; the bytes decode to the same pixels as the bitmap made from them.
  expect(results.top.bitmap!.index).toBe(7);
  for (const name of ['bytes', 'buffer', 'blob']) expect(results.top[name]).toEqual(results.top.bitmap);
  expect(results.broken).toBe('IMAGE_DECODE_FAILED');
});
