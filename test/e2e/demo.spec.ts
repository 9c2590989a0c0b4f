import { expect, test } from '@playwright/test';
import { chooseBackend, DIGITS, drawOnPad, hasTrainedModel, openDemo } from './demo-page.js';
import { referencePredictions } from './gallery-reference.js';

test.describe('demo', () => {
  test('presents the product: sizes, backend and its reason, layers; screenshot', async ({ page }, testInfo) => {
    await openDemo(page);
    await expect(page.locator('h1')).toContainText('−1');
    await expect(page.locator('#backend-status')).not.toHaveText(/Starting|Loading/);
    await page.screenshot({ path: testInfo.outputPath('demo-full.png'), fullPage: true });
    if (await hasTrainedModel(page, 'digits')) {
      await expect(page.locator('#stat-ratio')).toHaveText(/^\d+(\.\d)?×$/);
      await expect(page.locator('#backend-status')).toHaveText(/CPU|WebGPU/);
      await expect(page.locator('#inside-body table.layers tbody tr')).not.toHaveCount(0);
    }
  });

  test('recognises digits drawn on the pad', async ({ page }, testInfo) => {
    test.setTimeout(120_000);
    await openDemo(page);
    test.skip(!(await hasTrainedModel(page, 'digits')), 'no trained LeNet-5 shipped in demo/models yet');
    for (const [digit, strokes] of Object.entries(DIGITS)) {
      await drawOnPad(page, strokes);
      await expect(page.getByTestId('digit-prediction')).toHaveText(digit, { timeout: 20_000 });
      await expect(page.locator('#digit-bars li')).toHaveCount(10);
      await expect(page.locator('#digit-latency')).toHaveText(/ms on (CPU|WebGPU)/);
      await page.locator('#draw').screenshot({ path: testInfo.outputPath(`draw-${digit}.png`) });
    }
  });

  test('classifies every gallery image as the float64 reference does, and marks it against the truth', async ({
    page,
  }, testInfo) => {
    await openDemo(page);
    for (const [slot, id] of [
      ['digits', 'gallery-mnist-set'],
      ['objects', 'gallery-cifar10-set'],
    ] as const) {
      const summary = page.getByTestId(`${id}-summary`);
      if (!(await hasTrainedModel(page, slot))) {
        await expect(summary).toHaveText(/No trained model/);
        continue;
      }
      const modelFile = await page
        .locator(slot === 'digits' ? '#digits-model' : '#objects-model')
        .getAttribute('data-file');
      const tiles = await page.locator(`#${id} .tile`).evaluateAll((elements) =>
        elements.map((tile) => ({
          image: new URL((tile.querySelector('img') as HTMLImageElement).src).pathname,
          truth: (tile as HTMLElement).dataset.truth,
          predicted: (tile as HTMLElement).dataset.predicted,
          marked: tile.classList.contains('right') ? 'right' : tile.classList.contains('wrong') ? 'wrong' : 'unmarked',
        })),
      );
      const expected = referencePredictions(
        `demo/models/${modelFile}`,
        tiles.map(({ image }) => `demo/public${image}`),
      );
      expect(tiles.map(({ predicted }) => predicted)).toEqual(expected);
      expect(tiles.map(({ marked }) => marked)).toEqual(
        tiles.map(({ truth, predicted }) => (truth === predicted ? 'right' : 'wrong')),
      );
      const right = tiles.filter(({ truth, predicted }) => truth === predicted).length;
      expect(Number(await summary.getAttribute('data-correct'))).toBe(right);
    }
    await page.locator('#gallery').screenshot({ path: testInfo.outputPath('gallery.png') });
  });

  test('WebGPU and the CPU agree on the gallery', async ({ page }) => {
    await openDemo(page);
    test.skip((await page.locator('body').getAttribute('data-webgpu')) === 'no-api', 'no WebGPU in this browser');
    test.skip(!(await hasTrainedModel(page, 'digits')), 'no trained LeNet-5 shipped in demo/models yet');
    const predictions = () =>
      page
        .locator('#gallery-mnist-set .tile')
        .evaluateAll((tiles) => tiles.map((tile) => (tile as HTMLElement).dataset.predicted));
    await chooseBackend(page, 'cpu');
    const cpu = await predictions();
    await chooseBackend(page, 'webgpu');
    await expect(page.locator('#backend-status')).toHaveText(/^WebGPU/);
    expect(await predictions()).toEqual(cpu);
  });

  test('classifies an uploaded photo (5 most likely classes), or says the model is not trained yet', async ({
    page,
  }, testInfo) => {
    await openDemo(page);
    if (!(await hasTrainedModel(page, 'objects'))) {
      await expect(page.getByTestId('objects-untrained')).toContainText('Model not yet trained');
      return;
    }
    // The card starts on a sample image; the latency line is rewritten once the upload has been classified.
    await page.locator('#photo-latency').evaluate((line) => (line.textContent = ''));
    await page.locator('#upload').setInputFiles('demo/public/gallery/cifar10-00001.png');
    await expect(page.locator('#photo-latency')).toHaveText(/ms on (CPU|WebGPU)/);
    await expect(page.locator('#photo-bars li')).toHaveCount(5);
    const best = await page.locator('#photo-bars li.best .bar-label').textContent();
    await expect(page.getByTestId('photo-prediction')).toHaveText(best ?? '');
    await page.locator('#photo').screenshot({ path: testInfo.outputPath('photo.png') });
  });
});
