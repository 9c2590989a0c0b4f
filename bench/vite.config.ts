import { defineConfig } from 'vite';

// Bundles the benchmark for Node (`vite build --ssr`), so the `?raw` WGSL imports resolve as they do in the browser
// build; Node 20 cannot run TypeScript or `?raw` imports by itself. Packages stay external and load from node_modules.
export default defineConfig({
  root: '.',
  logLevel: 'warn',
  build: {
    ssr: 'bench/webgpu-bench.ts',
    outDir: 'dist/bench',
    emptyOutDir: true,
    target: 'node20',
  },
});
