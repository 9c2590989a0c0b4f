import { expect, test } from '@playwright/test';
import { DIGITS, drawOnPad, hasTrainedModel, openDemo } from './demo-page.js';

// Chromium's default: without --enable-unsafe-webgpu, Chromium on Linux offers no WebGPU adapter.
test.use({ launchOptions: { executablePath: '/usr/bin/chromium', args: [] } });

test.describe('without WebGPU', () => {
  test('explains the fallback and runs on the CPU', async ({ page }, testInfo) => {
    await openDemo(page);
    await expect(page.locator('#notice')).toBeVisible();
    await expect(page.locator('#notice')).toContainText(/WebGPU/);
    await expect(page.locator('#notice')).toContainText(/CPU/);
    await expect(page.locator('input[name="backend"][value="webgpu"]')).toBeDisabled();
    if (await hasTrainedModel(page, 'digits')) {
      await expect(page.locator('#stat-backend')).toHaveText('CPU');
      // LeNet-5's runs are short: the CPU backend runs them on the page's thread, where the worker's hand-offs
      // would cost more than the run.
      await expect(page.locator('body')).toHaveAttribute('data-thread', 'main');
      await expect(page.locator('#backend-status')).toContainText("on the page's thread");
      // Chromium has WebAssembly SIMD, and the demo's page policy allows compiling it.
      await expect(page.locator('body')).toHaveAttribute('data-kernels', 'wasm-simd');
      await expect(page.locator('#backend-status')).toContainText('WebAssembly SIMD');
      await drawOnPad(page, DIGITS['1']!);
      await expect(page.getByTestId('digit-prediction')).toHaveText('1', { timeout: 20_000 });
    }
    await page.screenshot({ path: testInfo.outputPath('no-webgpu.png') });
  });

  test('under a strict Content-Security-Policy: JavaScript kernels on the page thread, same answers', async ({
    page,
  }) => {
    // No 'wasm-unsafe-eval' (WebAssembly cannot compile) and no blob: workers (the inlined worker cannot start).
    await page.route('**/*', async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      const headers = { ...response.headers(), 'content-security-policy': "script-src 'self'; worker-src 'self'" };
      await route.fulfill({ response, headers });
    });
    await openDemo(page);
    if (!(await hasTrainedModel(page, 'digits'))) return;
    await expect(page.locator('body')).toHaveAttribute('data-kernels', 'js');
    await expect(page.locator('body')).toHaveAttribute('data-thread', 'main');
    await drawOnPad(page, DIGITS['1']!);
    await expect(page.getByTestId('digit-prediction')).toHaveText('1', { timeout: 20_000 });
  });
});
