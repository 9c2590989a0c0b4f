import { expect, test, type Page } from '@playwright/test';
import { loadModel } from '../../src/index.js';
import { hasTrainedModel, openDemo } from './demo-page.js';

/** Every bar label in the card shows its whole text (none cut to "automo…"). */
async function labelsFit(page: Page, bars: string): Promise<{ label: string; fits: boolean }[]> {
  return page
    .locator(`${bars} .bar-label`)
    .evaluateAll((labels) =>
      labels.map((label) => ({ label: label.textContent ?? '', fits: label.scrollWidth <= label.clientWidth })),
    );
}

test.describe('demo, as a visitor uses it', () => {
  test('an uploaded photo shows in the preview, the upload prompt stays, labels fit, one verdict is called a prediction', async ({
    page,
  }, testInfo) => {
    await openDemo(page);
    test.skip(!(await hasTrainedModel(page, 'objects')), 'no trained VGG-7 shipped');
    // The sample photo is up, and the card still invites an upload.
    await expect(page.locator('#photo-preview')).toBeVisible();
    await expect(page.locator('#drop .drop-again')).toBeVisible();
    await page.locator('#photo-latency').evaluate((line) => (line.textContent = ''));
    await page.locator('#upload').setInputFiles('demo/public/gallery/cifar10-00001.png');
    await expect(page.locator('#photo-latency')).toHaveText(/ms on (CPU|WebGPU)/);
    const preview = await page.locator('#photo-preview').evaluate(async (image: HTMLImageElement) => {
      await image.decode();
      return { src: image.src, width: image.naturalWidth };
    });
    expect(preview.src).toMatch(/^blob:/);
    expect(preview.width).toBeGreaterThan(0);
    await expect(page.locator('#drop .drop-again')).toBeVisible();
    await expect(page.locator('#photo .verdict-label')).toHaveText('Prediction');
    await expect(page.locator('#photo-bars-title')).toHaveText('5 most likely classes');
    // Every class name fits in full, the longest ("automobile") included.
    await page.locator('#photo-bars').evaluate((list) => {
      for (const label of list.querySelectorAll('.bar-label')) label.textContent = 'automobile';
    });
    const photoLabels = await labelsFit(page, '#photo-bars');
    expect(photoLabels.filter(({ fits }) => !fits)).toEqual([]);
    expect(await labelsFit(page, '#digit-bars')).not.toContainEqual(expect.objectContaining({ fits: false }));
    await page.locator('#photo').screenshot({ path: testInfo.outputPath('photo-upload.png') });
  });

  test('an error shows in the card that caused it, not in a banner above, and clears on the next success', async ({
    page,
  }) => {
    await openDemo(page);
    test.skip(!(await hasTrainedModel(page, 'objects')), 'no trained VGG-7 shipped');
    const error = page.getByTestId('photo-error');
    await expect(error).toBeHidden();
    await page
      .locator('#upload')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await expect(error).toBeVisible();
    await expect(error).toContainText('notes.txt');
    await expect(page.locator('#photo').getByRole('alert')).toHaveText(/notes\.txt/);
    await expect(page.locator('#notice')).not.toContainText('notes.txt');
    await expect(page.getByTestId('draw-error')).toBeHidden();
    await page.locator('#upload').setInputFiles('demo/public/gallery/cifar10-00002.png');
    await expect(error).toBeHidden();
  });

  test('one compression figure on the page, computed from the files', async ({ page }) => {
    await openDemo(page);
    test.skip(!(await hasTrainedModel(page, 'digits')), 'no trained model shipped');
    for (const model of ['digits', 'objects']) {
      await page.locator(`input[name="inside-model"][value="${model}"]`).check({ force: true });
      // innerText, not textContent: the rendered text, where neighbouring elements ("32", "15.6×") stay apart.
      const figures = await page.locator('body').evaluate((body) => {
        // biome-ignore lint/performance/useDomNodeTextContent: the layout's line breaks are what separate the figures
        const text = (body as HTMLElement).innerText;
        return [...new Set(text.match(/\d+(\.\d+)?×(?![\d])/g))];
      });
      const stat = await page.locator('#stat-ratio').textContent();
      expect(figures).toEqual([stat]);
    }
    // The same figure from the shipped files the page names, read here by the library itself.
    let fileBytes = 0;
    let fp32Bytes = 0;
    for (const line of ['#digits-model', '#objects-model']) {
      const file = await page.locator(line).getAttribute('data-file');
      if (!file) continue;
      const model = await loadModel(`demo/models/${file}`, { backend: 'cpu' });
      fileBytes += model.info.fileBytes;
      fp32Bytes += model.info.fp32Bytes;
      model.dispose();
    }
    await expect(page.locator('#stat-ratio')).toHaveText(`${(fp32Bytes / fileBytes).toFixed(1)}×`);
  });

  test('the notice follows the backend switch: WebGPU picked on a software adapter no longer says Auto runs on the CPU', async ({
    page,
  }) => {
    await openDemo(page);
    test.skip(
      (await page.locator('body').getAttribute('data-webgpu')) !== 'software',
      'needs a software WebGPU adapter',
    );
    await expect(page.locator('#notice')).toContainText('Auto runs on the CPU');
    await page.locator('input[name="backend"][value="webgpu"]').check({ force: true });
    await expect(page.locator('#notice')).toContainText('Running on WebGPU as chosen');
    await expect(page.locator('#notice')).not.toContainText('Auto runs on the CPU');
  });

  test('on a phone: the section links stay reachable, and the layer table says it scrolls sideways', async ({
    browser,
  }, testInfo) => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await openDemo(page);
      for (const link of await page.locator('nav a').all()) {
        await expect(link).toBeVisible();
        const box = await link.boundingBox();
        expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      }
      await page.locator('nav a[href="#inside"]').click();
      await expect(page).toHaveURL(/#inside$/);
      // The page itself never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      if (await hasTrainedModel(page, 'digits')) {
        const scroller = page.locator('#inside-body .table-scroll');
        expect(await scroller.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
        await expect(page.getByTestId('scroll-hint')).toBeVisible();
      }
      await page.screenshot({ path: testInfo.outputPath('phone.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  test('on a wide screen the table fits and needs no scroll hint', async ({ page }) => {
    await openDemo(page);
    test.skip(!(await hasTrainedModel(page, 'digits')), 'no trained model shipped');
    await expect(page.getByTestId('scroll-hint')).toBeHidden();
  });
});
