import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig, esmExternalRequirePlugin, type Plugin } from 'vite';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/** The inlined worker gets no source map: a blob URL could not point at one, so it would only weigh on the package. */
const dropWorkerSourceMap: Plugin = {
  name: 'drop-worker-source-map',
  generateBundle(_, bundle) {
    for (const [fileName, output] of Object.entries(bundle)) {
      // The main build: the map Vite emits beside the inlined worker.
      if (output.type === 'asset' && /^assets\/cpu-worker-.*\.map$/.test(fileName)) delete bundle[fileName];
      // The worker build: its code's pointer to that map.
      if (output.type === 'chunk' && fileName.startsWith('assets/cpu-worker-')) output.code = output.code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    }
  },
};

/**
 * The npm package: the browser-safe library (dist/lib/index.js), its Node entry (dist/lib/node.js, `twn-webgpu/node`),
 * the ONNX converter (dist/lib/convert.js, `twn-webgpu/convert`) and the Node CLI (dist/lib/cli.js) in one build, so
 * they share one chunk of library code. WGSL shaders are inlined through `?raw` imports. The Node image decoders
 * (pngjs, jpeg-js) are bundled into the Node-only chunks and the converter's protobuf library (protobufjs) into the
 * converter's, keeping the package free of runtime dependencies and the runtime's browser bundle free of both;
 * only Node built-ins and the optional Dawn binding (`webgpu`) stay external.
 */
export default defineConfig({
  publicDir: false,
  define: { __TWN_VERSION__: JSON.stringify(version) },
  // The CPU worker (src/api/cpu-worker.ts) is a module worker, inlined into the library chunk as a blob URL.
  worker: { format: 'es', plugins: () => [dropWorkerSourceMap] },
  // pngjs (CommonJS) requires Node built-ins: those require() calls become ES imports (a createRequire banner would
  // not do: the bundler may put its require helper in the chunk the CLI shares with the converter entry). `fs` stays
  // a require(): protobufjs probes for it inside a try/catch, and a static import would break the converter in browsers.
  plugins: [
    dropWorkerSourceMap,
    esmExternalRequirePlugin({ external: [/^node:/, ...builtinModules.filter((name) => name !== 'fs')] }),
  ],
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: { index: 'src/index.ts', node: 'src/node/index.ts', convert: 'src/convert/index.ts', cli: 'src/cli/bin.ts' },
      formats: ['es'],
    },
    rolldownOptions: {
      external: ['fs', 'webgpu'],
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
      },
    },
  },
});
