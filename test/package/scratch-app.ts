import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

/** `npm pack` of this repository (its prepack builds dist/) into `dir`; returns the tarball's path. */
export function packRepository(dir: string): string {
  const output = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  // prepack's own output precedes npm's JSON report.
  const report = JSON.parse(output.slice(output.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  const packed = report[0];
  if (!packed) throw new Error(`npm pack printed no report: ${output}`);
  return join(dir, packed.filename);
}

/**
 * A fresh Vite app that depends on the tarball alone, as a user's would: its page loads a model from public/,
 * classifies an image and prints the result as JSON (or the error) for the test to read.
 */
export function writeScratchApp(dir: string, tarball: string, model: Uint8Array, image: string): void {
  const viteVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(join(dir, 'public'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'twn-scratch-app', private: true, type: 'module', dependencies: { 'twn-webgpu': `file:${tarball}` }, devDependencies: { vite: viteVersion } }, null, 2),
  );
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>scratch</title><pre id="result"></pre><pre id="error"></pre><script type="module" src="/main.ts"></script>\n');
  writeFileSync(
    join(dir, 'main.ts'),
    `import { loadModel, TwnError, type BackendRequest, type Prediction } from 'twn-webgpu';

const backend = (new URLSearchParams(location.search).get('backend') ?? 'auto') as BackendRequest;
try {
  const model = await loadModel('/model.twn', { backend });
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
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true }, include: ['main.ts'] }),
  );
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
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then((response) => response.ok, () => false)) return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill();
  throw new Error('vite preview did not start');
}
