import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

/** `npm pack` of this repository (its prepare script builds dist/) into `dir`; returns the tarball's path. */
export function packRepository(dir: string): string {
  const output = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // prepare's own output precedes npm's JSON report.
  const report = JSON.parse(output.slice(output.indexOf('\n[') + 1)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const packed = report[0];
  if (!packed) throw new Error(`npm pack printed no report: ${output}`);
  return join(dir, packed.filename);
}

/**
 * A fresh Vite app that depends on the tarball alone, as a user's would: its page loads a model from public/,
 * classifies an image and prints the result as JSON (or the error) for the test to read.
 */
export function writeScratchApp(dir: string, tarball: string, model: Uint8Array, image: string): void {
  const version = (name: string) =>
    (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(join(dir, 'public'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'twn-scratch-app',
        private: true,
        type: 'module',
        dependencies: { 'twn-webgpu': `file:${tarball}` },
        devDependencies: { vite: version('vite'), '@types/node': version('@types/node') },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>scratch</title><pre id="result"></pre><pre id="error"></pre><script type="module" src="/main.ts"></script>\n',
  );
  writeFileSync(
    join(dir, 'main.ts'),
    `import { loadModel, TwnError, type BackendRequest, type Prediction } from 'twn-webgpu';

const query = new URLSearchParams(location.search);
const backend = (query.get('backend') ?? 'auto') as BackendRequest;
const cpuWorker = query.has('cpuWorker') ? query.get('cpuWorker') === 'true' : undefined;
try {
  const model = await loadModel('/model.twn', { backend, cpuWorker });
  const image = new Image();
  image.src = '/digit.png';
  await image.decode();
  const predictions: Prediction[] = await model.classify(image, { topK: 3 });
  document.querySelector('#result')!.textContent = JSON.stringify({ backend: model.info.backend.kind, thread: model.info.backend.thread, kernels: model.info.backend.kernels, predictions });
  model.dispose();
} catch (error) {
  document.querySelector('#error')!.textContent = error instanceof TwnError ? error.code + ': ' + error.message : String(error);
}
`,
  );
  // The package's declarations must compile as they are (skipLibCheck off) with nothing but the usual libs: the DOM in
  // a browser app, Node's types in a Node one; neither has @webgpu/types.
  const compilerOptions = { target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM'],
        types: [],
      },
      include: ['main.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.node.json'),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022'],
        types: ['node'],
        // Emitted, as a Node user's build would: Node 20 runs neither TypeScript nor `using` itself.
        noEmit: false,
        outDir: 'node-build',
      },
      include: ['node.ts', 'convert.ts'],
    }),
  );
  // A Node script (built to node-build/node.js): a model file by path, a PNG file's bytes, through the Node entry.
  writeFileSync(
    join(dir, 'node.ts'),
    `import { readFile } from 'node:fs/promises';
import { loadModel, type Prediction } from 'twn-webgpu/node';

using model = await loadModel(process.argv[2]!, { backend: 'cpu' });
const predictions: Prediction[] = await model.classify(await readFile(process.argv[3]!), { topK: 3 });
console.log(JSON.stringify({ thread: model.info.backend.thread, predictions }));
`,
  );
  // The converter entry in Node: an ONNX file to .twn bytes, typed by the package's declarations.
  writeFileSync(
    join(dir, 'convert.ts'),
    `import { readFile, writeFile } from 'node:fs/promises';
import { convertOnnx, TwnConvertError } from 'twn-webgpu/convert';

const { bytes, report } = convertOnnx(new Uint8Array(await readFile(process.argv[2]!)));
await writeFile(process.argv[3]!, bytes);
console.log(JSON.stringify({ layers: report.layers.map((layer) => layer.weight), error: TwnConvertError.name }));
`,
  );
  copyFileSync(join(REPO, 'demo/models/lenet5-twn.onnx'), join(dir, 'public', 'model.onnx'));
  writeFileSync(join(dir, 'public', 'model.twn'), model);
  copyFileSync(image, join(dir, 'public', 'digit.png'));
}

export function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `vite preview` of the built app; resolves once it answers. */
export async function preview(dir: string, port: number): Promise<ChildProcess> {
  const server = spawn(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: dir, stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill();
  throw new Error('vite preview did not start');
}
