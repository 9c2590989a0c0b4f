import { defineConfig } from '@playwright/test';

const PORT = 5180;

// Headless Chromium (the system build; browsers are never downloaded) with WebGPU on SwiftShader. About one launch in
// fifty fails to start the GPU process, hence one retry.
export default defineConfig({
  testDir: 'test/browser',
  timeout: 300_000,
  retries: 1,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] },
  },
  webServer: {
    command: `npx vite --config test/browser/vite.config.ts --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
