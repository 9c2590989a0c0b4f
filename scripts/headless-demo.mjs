// Opens the built demo (served by `vite preview`) in headless Chromium on WebGPU, waits until every shipped model has
// classified the gallery of real test images, prints what the page shows, and saves a full-page screenshot.
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://127.0.0.1:4173/';
const screenshot = process.argv[3] ?? 'test-results/main/demo.png';

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
  const summary = await page.evaluate(() => ({
    backend: document.querySelector('#backend-status')?.textContent?.trim() ?? '',
    galleries: [...document.querySelectorAll('.gallery-summary')].map(
      (e) => `${e.closest('.gallery-set')?.id}: ${e.textContent?.trim()}`,
    ),
  }));
  console.log(`demo: ${url}`);
  if (summary.backend) console.log(`backend: ${summary.backend}`);
  for (const line of summary.galleries) console.log(`gallery: ${line}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
