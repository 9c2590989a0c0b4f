/**
 * `npm run bench:cold-start [-- --models lenet5,vgg7,resnet18-224 --repeats 3] [--conv-tile wide|square|narrow]
 *   [--staged true|false]`
 *
 * Cold start on WebGPU: model bytes in memory → first result (parse, compile every pipeline, upload, one batch-1
 * run), each repeat in a fresh Node process so no pipeline cache survives. Prints wall and process CPU milliseconds
 * (medians; CPU time is the steadier number on a shared machine, where wall time grows with the load, `uptime`) and
 * the GPU bytes of the uploaded parameters (ternary weights stay 2-bit packed) and the number of pipelines.
 * `--conv-tile` and `--staged` force the convolution variant (src/backends/webgpu/kernel-policy.ts).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { acquireDevice } from '../src/backends/webgpu/device.js';
import { compileWebGpu } from '../src/backends/webgpu/executor.js';
import type { ConvTileName, KernelOverrides } from '../src/backends/webgpu/kernel-policy.js';
import { freshProcessRuns } from './fresh-process.js';
import { benchModelBytes } from './models.js';
import { machineLoad } from './report.js';
import { median } from './stats.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,vgg7,resnet18-224' },
    repeats: { type: 'string', default: '3' },
    child: { type: 'string' },
    'conv-tile': { type: 'string' },
    staged: { type: 'string' },
  },
});
const overrides: KernelOverrides = {
  ...(flags['conv-tile'] !== undefined && { convTile: flags['conv-tile'] as ConvTileName }),
  ...(flags.staged !== undefined && { staged: flags.staged === 'true' }),
};
/** The variant flags, passed on to each child process. */
const variantArgs = [
  ...(flags['conv-tile'] === undefined ? [] : ['--conv-tile', flags['conv-tile']]),
  ...(flags.staged === undefined ? [] : ['--staged', flags.staged]),
];

/** One cold start in this process; prints its wall and CPU milliseconds as JSON. */
async function coldStart(model: string): Promise<void> {
  const bytes = await benchModelBytes(model, (path) => readFile(path));
  const { device } = await acquireDevice();
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const graph = graphFromFile(readTwnFile(bytes));
  const compiled = await compileWebGpu(graph, device, {}, overrides);
  await compiled.run(new Float32Array(graph.input.shape.reduce((a, b) => a * b, 1)), 1);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const { weightBytes, pipelineCount } = compiled;
  console.log(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, weightBytes, pipelineCount }));
  compiled.dispose();
  device.destroy();
}

interface ColdStart {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly weightBytes: number;
  readonly pipelineCount: number;
}

function main(): void {
  console.log(`load: ${machineLoad()}`);
  for (const model of flags.models.split(',')) {
    const runs = freshProcessRuns<ColdStart>(import.meta.url, model, variantArgs, Number(flags.repeats));
    const wall = median(runs.map((run) => run.wallMs)).toFixed(0);
    const cpu = median(runs.map((run) => run.cpuMs)).toFixed(0);
    const { weightBytes, pipelineCount } = runs[0]!;
    const sizes = `GPU parameters ${weightBytes} B, ${pipelineCount} pipelines`;
    console.log(`${model}: cold start ${wall} ms wall, ${cpu} ms CPU (median of ${runs.length}); ${sizes}`);
  }
  console.log(`load: ${machineLoad()}`);
}

if (flags.child !== undefined) await coldStart(flags.child);
else main();
