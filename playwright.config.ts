import { defineConfig } from '@playwright/test';

// TWN_TEST_PORT / TWN_DEMO_PORT let several checkouts run their browser tests side by side on one machine.
const PORT = Number(process.env.TWN_TEST_PORT ?? 5180);
/** `vite preview` of the built demo (vite.config.ts). */
const DEMO_PORT = Number(process.env.TWN_DEMO_PORT ?? 4173);

// Headless Chromium (the system build; browsers are never downloaded) with WebGPU on SwiftShader. About one launch in
// fifty fails to start the GPU process, hence one retry.
export default defineConfig({
  testDir: 'test/browser',
  // Playwright empties its outputDir at start; a subfolder keeps the other runners' reports in test-results/.
  outputDir: 'test-results/playwright',
  timeout: 300_000,
  retries: 1,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] },
  },
  projects: [
    { name: 'webgpu' },
    // The product: the built demo end to end, and the npm tarball installed into a scratch app (its own server).
    { name: 'e2e', testDir: 'test/e2e', use: { baseURL: `http://127.0.0.1:${DEMO_PORT}` } },
    { name: 'package', testDir: 'test/package' },
  ],
  webServer: [
    {
      command: `npx vite --config test/browser/vite.config.ts --port ${PORT}`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: `npm run --silent build:demo && npx vite preview --port ${DEMO_PORT}`,
      url: `http://127.0.0.1:${DEMO_PORT}/`,
      reuseExistingServer: false,
      timeout: 180_000,
    },
  ],
});
