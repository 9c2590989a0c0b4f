import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // WebGPU tests share one Dawn instance per worker and SwiftShader is CPU-bound: two workers match the 2 cores.
    maxWorkers: 2,
    // The lifetime and soak tests (test/soak/) collect garbage between heap samples.
    execArgv: ['--expose-gc'],
  },
});
