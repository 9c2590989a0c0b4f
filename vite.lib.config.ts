import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The npm package: the browser-safe library (dist/lib/index.js) and the Node CLI (dist/lib/cli.js) in one build,
 * so they share one chunk of library code. WGSL shaders are inlined through `?raw` imports. The CLI's image
 * decoders (pngjs, jpeg-js) are bundled into the CLI entry, keeping the package free of runtime dependencies;
 * only Node built-ins and the optional Dawn binding (`webgpu`) stay external.
 */
export default defineConfig({
  publicDir: false,
  define: { __TWN_VERSION__: JSON.stringify(version) },
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts' },
      formats: ['es'],
    },
    rolldownOptions: {
      external: [/^node:/, ...builtinModules, 'webgpu'],
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        // pngjs is CommonJS and requires Node built-ins; in an ES module `require` has to be made.
        banner: (chunk) => (chunk.name === 'cli' ? "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);" : ''),
      },
    },
  },
});
