/**
 * `npm run bench:cold-start [-- --models lenet5,vgg7,resnet18-224 --repeats 3]`
 *
 * Cold start on WebGPU: model bytes in memory → first result (parse, compile every pipeline, upload, one batch-1
 * run), each repeat in a fresh Node process so no pipeline cache survives. Prints wall and process CPU milliseconds
 * (medians; CPU time is the steadier number on a shared machine, where wall time grows with the load, `uptime`) and
 * the GPU bytes of the uploaded parameters (ternary weights stay 2-bit packed).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { acquireDevice } from '../src/backends/webgpu/device.js';
import { compileWebGpu } from '../src/backends/webgpu/executor.js';
import { benchModelBytes } from './models.js';
import { median } from './stats.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,vgg7,resnet18-224' },
    repeats: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

/** One cold start in this process; prints its wall and CPU milliseconds as JSON. */
async function coldStart(model: string): Promise<void> {
  const bytes = await benchModelBytes(model, (path) => readFile(path));
  const { device } = await acquireDevice();
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const graph = graphFromFile(readTwnFile(bytes));
  const compiled = await compileWebGpu(graph, device);
  await compiled.run(new Float32Array(graph.input.shape.reduce((a, b) => a * b, 1)), 1);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  console.log(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, weightBytes: compiled.weightBytes }));
  compiled.dispose();
  device.destroy();
}

function main(): void {
  const script = fileURLToPath(import.meta.url);
  console.log(`load: ${execFileSync('uptime').toString().trim()}`);
  for (const model of flags.models.split(',')) {
    const runs = Array.from({ length: Number(flags.repeats) }, () => {
      const output = execFileSync(process.execPath, [script, '--child', model], { encoding: 'utf8' });
      return JSON.parse(output.trim().split('\n').at(-1)!) as { wallMs: number; cpuMs: number; weightBytes: number };
    });
    const wall = median(runs.map((run) => run.wallMs)).toFixed(0);
    const cpu = median(runs.map((run) => run.cpuMs)).toFixed(0);
    const bytes = runs[0]!.weightBytes;
    console.log(`${model}: cold start ${wall} ms wall, ${cpu} ms CPU (median of ${runs.length}); GPU parameters ${bytes} B`);
  }
  console.log(`load: ${execFileSync('uptime').toString().trim()}`);
}

if (flags.child !== undefined) await coldStart(flags.child);
else main();
