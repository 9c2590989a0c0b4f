import { defineConfig } from 'vite';

// The demo app. `?raw` imports inline the WGSL shaders into the bundle, so consumers need no .wgsl loader.
export default defineConfig({
  root: 'demo',
  // The CPU backend's worker (src/api/cpu-worker.ts) is a module worker.
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { outDir: '../dist/demo', emptyOutDir: true },
});
