/**
 * `npm run bench:layers [-- --layers vgg7:conv4,resnet18-224:layer3.0.conv2 --batch 1 --repeats 5]
 *   [--conv-tile wide|square|narrow] [--staged true|false] [--gemv-slices 16|32]`
 *
 * One WebGPU layer at a time: the node's kernel (as the executor plans it, on the bench model's seeded weights)
 * dispatched `--dispatches` times per submit, median over `--repeats` submits. Prints wall and process CPU ms per
 * dispatch and G adds/s (from wall time), where adds = nonzero ternary weights × output positions (the work an
 * add/subtract kernel cannot skip). On a software adapter (SwiftShader) the CPU time is the steadier number when the
 * machine is shared. For before/after ratios, run two builds alternately (see README, WebGPU kernels).
 * `--conv-tile`, `--staged` and `--gemv-slices` force the convolution variant and the GEMV's K slices
 * (src/backends/webgpu/kernel-policy.ts) instead of the device's choice; each line also says which variant ran and
 * how long its pipeline took to create.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { acquireDevice } from '../src/backends/webgpu/device.js';
import {
  bindDispatch,
  compileDispatch,
  destroyDispatch,
  encodeDispatch,
  ParameterUploads,
} from '../src/backends/webgpu/dispatch.js';
import {
  describeDevice,
  type ConvTileName,
  type GemvSlices,
  type KernelOverrides,
} from '../src/backends/webgpu/kernel-policy.js';
import { getKernel } from '../src/backends/webgpu/kernels/registry.js';
import { PipelineFactory, uploadBuffer } from '../src/backends/webgpu/pipelines.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { planGraph } from '../src/plan/plan.js';
import { seededRandom } from '../src/models/random.js';
import { benchModelBytes } from './models.js';
import { machineLoad } from './report.js';
import { median } from './stats.js';

const DEFAULT_LAYERS = [
  'vgg7:conv4',
  'vgg7:conv6',
  'vgg7:fc1',
  'resnet18-224:layer1.0.conv1',
  'resnet18-224:layer3.0.conv2',
  'resnet18-224:layer4.0.conv2',
].join(',');
const { values: flags } = parseArgs({
  options: {
    layers: { type: 'string', default: DEFAULT_LAYERS },
    batch: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '5' },
    dispatches: { type: 'string', default: '3' },
    'conv-tile': { type: 'string' },
    staged: { type: 'string' },
    'gemv-slices': { type: 'string' },
  },
});
const overrides: KernelOverrides = {
  ...(flags['conv-tile'] !== undefined && { convTile: flags['conv-tile'] as ConvTileName }),
  ...(flags.staged !== undefined && { staged: flags.staged === 'true' }),
  ...(flags['gemv-slices'] !== undefined && { gemvSlices: Number(flags['gemv-slices']) as GemvSlices }),
};

/** Nonzero codes of a packed ternary tensor (0 → 0, 1 → +1, 2 → −1; docs/FORMAT.md §5). */
function nonzeroCodes(words: Uint32Array): number {
  let count = 0;
  for (const word of words) for (let bit = 0; bit < 32; bit += 2) count += (word >>> bit) & 3 ? 1 : 0;
  return count;
}

async function measureLayer(device: GPUDevice, model: string, layer: string, batch: number): Promise<string> {
  const graph = optimize(graphFromFile(readTwnFile(await benchModelBytes(model, (path) => readFile(path)))));
  const plan = planGraph(graph, batch);
  const step = plan.steps.find(({ node }) => node.name === layer);
  if (step === undefined) throw new Error(`${model} has no node "${layer}"`);
  const { node } = step;
  const single = planGraph(graph, 1).steps.find((s) => s.node.name === layer)!;
  const outputShape = single.outputShapes[0]!;
  const context = { node, graph, inputShapes: single.inputShapes, outputShape, device: describeDevice(device), overrides };
  const kernelPlan = getKernel(node.op)!.plan(context);
  if (kernelPlan.kind !== 'dispatch') throw new Error(`${layer} has no dispatch`);
  const parameters = new ParameterUploads(device);
  const createStart = performance.now();
  const compiled = await compileDispatch(device, new PipelineFactory(device), parameters, kernelPlan, layer);
  const createMs = performance.now() - createStart;
  const random = seededRandom(7);
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const inputs = step.inputShapes.map((shape, i) =>
    uploadBuffer(device, Float32Array.from({ length: size(shape) }, () => random.normal()), `in${i}`),
  );
  const outputSize = size(step.outputShapes[0]!);
  const output = device.createBuffer({ size: 4 * outputSize, usage: 0x80 | 0x4 });
  const placeholder = uploadBuffer(device, new Float32Array(1), 'placeholder');
  const bindings = inputs.map((buffer) => ({ buffer }));
  const bindGroup = bindDispatch(device, compiled, { buffer: output }, bindings, placeholder);
  const dispatches = Number(flags.dispatches);
  const submit = async () => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < dispatches; i++) {
      encodeDispatch(pass, compiled, bindGroup, batch, device.limits.maxComputeWorkgroupsPerDimension);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await submit();
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < Number(flags.repeats); i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await submit();
    const cpu = process.cpuUsage(cpuStart);
    samples.push((performance.now() - start) / dispatches);
    cpuSamples.push((cpu.user + cpu.system) / 1000 / dispatches);
  }
  const ms = median(samples);
  const cpuMs = median(cpuSamples);
  const weight = graph.tensors.get(node.params.weight!)!;
  const positions = outputSize / weight.shape[0]!;
  const adds = weight.dtype === 'ternary2' ? nonzeroCodes(weight.data as Uint32Array) * positions : NaN;
  for (const buffer of [...inputs, output, placeholder]) buffer.destroy();
  destroyDispatch(compiled);
  parameters.destroy();
  const rate = (adds / ms / 1e6).toFixed(3);
  const kernel = `${kernelPlan.shader.key}, pipeline ${createMs.toFixed(0)} ms`;
  return `${model} ${layer} batch ${batch}: ${ms.toFixed(1)} ms wall, ${cpuMs.toFixed(1)} ms CPU, ${rate} G adds/s (${kernel})`;
}

const { device } = await acquireDevice();
console.log(`load: ${machineLoad()}`);
for (const entry of flags.layers.split(',')) {
  const [model, layer] = entry.split(':') as [string, string];
  console.log(await measureLayer(device, model, layer, Number(flags.batch)));
}
device.destroy();
