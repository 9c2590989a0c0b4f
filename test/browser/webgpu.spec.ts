import { expect, test, type Page } from '@playwright/test';
import { CONV_CASES, OP_CASES } from '../op-cases/cases.js';
import type { CaseResult } from '../op-cases/compare.js';
import type { BrowserChecks, BrowserReport } from './harness/checks.js';

async function runInPage<T>(page: Page, which: keyof BrowserChecks): Promise<BrowserReport<T>> {
  page.on('pageerror', (error) => console.log(`[page] ${error.message}`));
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  const report: unknown = await page.evaluate(
    (name: keyof BrowserChecks): Promise<unknown> => (window as unknown as { twnChecks: BrowserChecks }).twnChecks[name](),
    which,
  );
  return report as BrowserReport<T>;
}

test('every kernel matches the float64 reference in Chromium', async ({ page }) => {
  const report = await runInPage<CaseResult>(page, 'kernels');
  console.log(`adapter: ${JSON.stringify(report.adapter)}`);
  expect(report.results.map((result) => result.name)).toEqual(OP_CASES.map((spec) => spec.name));
  for (const result of report.results) {
    expect.soft(result.pass, `${result.name}: ${result.message}`).toBe(true);
  }
});

test('convolutions forced to the staged variant match the float64 reference in Chromium', async ({ page }) => {
  const report = await runInPage<CaseResult>(page, 'stagedConvKernels');
  expect(report.results.map((result) => result.name)).toEqual(CONV_CASES.map((spec) => spec.name));
  for (const result of report.results) {
    expect.soft(result.pass, `${result.name}: ${result.message}`).toBe(true);
  }
});

test('LeNet-5 and ResNet-18 CIFAR match the CPU reference in Chromium', async ({ page }) => {
  const report = await runInPage<{ name: string; pass: boolean; relativeError: number; argmaxAgrees: boolean }>(page, 'nets');
  for (const result of report.results) {
    console.log(`${result.name}: relative error ${result.relativeError.toExponential(2)}, argmax agrees: ${result.argmaxAgrees}`);
    expect.soft(result.pass, `${result.name}: relative error ${result.relativeError}, argmax agrees ${result.argmaxAgrees}`).toBe(true);
  }
});
