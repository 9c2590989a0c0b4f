import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

// Serves the harness page, which imports src/ and the shared op cases in test/op-cases/ and network checks in test/webgpu/ straight from the tree.
export default defineConfig({
  root: fileURLToPath(new URL('harness', import.meta.url)),
  logLevel: 'warn',
  worker: { format: 'es' },
  server: { host: '127.0.0.1', strictPort: true, fs: { allow: [repositoryRoot] } },
});
