import { defineConfig } from 'vite';

const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The demo app. `?raw` imports inline the WGSL shaders into the bundle, so consumers need no .wgsl loader.
export default defineConfig({
  root: 'demo',
  // The CPU backend's worker (src/api/cpu-worker.ts) is a module worker.
  worker: { format: 'es' },
  // Cross-origin isolation (SharedArrayBuffer), so the CPU backend splits layers over helper threads.
  server: { host: '127.0.0.1', port: 5173, strictPort: true, headers: CROSS_ORIGIN_ISOLATION },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: CROSS_ORIGIN_ISOLATION },
  build: { outDir: '../dist/demo', emptyOutDir: true },
});
