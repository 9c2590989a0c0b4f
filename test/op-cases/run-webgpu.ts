/**
 * Runs an op case through its WebGPU kernel and holds it against the float64 reference. Used in Node through Dawn
 * (test/webgpu/kernels.test.ts) and in Chromium by the browser harness (test/browser/harness/checks.ts).
 */
import { BUFFER_USAGE, MAP_MODE_READ } from '../../src/backends/webgpu/gpu-constants.js';
import {
  bindDispatch,
  compileDispatch,
  destroyDispatch,
  encodeDispatch,
  ParameterUploads,
} from '../../src/backends/webgpu/dispatch.js';
import { describeDevice, type KernelOverrides } from '../../src/backends/webgpu/kernel-policy.js';
import { getKernel } from '../../src/backends/webgpu/kernels/registry.js';
import { PipelineFactory, uploadBuffer } from '../../src/backends/webgpu/pipelines.js';
import { getOp } from '../../src/ops/registry.js';
import type { OpCase, OpCaseSpec } from './cases.js';
import { checkAgainstReference, type CaseResult } from './compare.js';

/**
 * Runs the node's kernel on the device and returns its output. As the executor does, the kernel is planned for one
 * sample and dispatched for the batch; `maxWorkgroupsPerDimension` (when the case sets it) folds the grid sooner.
 */
export async function runOnGpu(
  device: GPUDevice,
  { graph, node, inputs, maxWorkgroupsPerDimension }: OpCase,
  overrides: KernelOverrides = {},
  pipelines = new PipelineFactory(device),
): Promise<Float32Array> {
  const kernel = getKernel(node.op);
  const op = getOp(node.op);
  if (kernel === undefined || op === undefined) throw new Error(`no kernel or op for ${node.op}`);
  const batch = inputs[0]!.shape[0]!;
  const inputShapes = inputs.map((input) => [1, ...input.shape.slice(1)]);
  const [outputShape] = op.inferShapes(inputShapes, node, graph, node.name);
  const plan = kernel.plan({ node, graph, inputShapes, outputShape: outputShape!, device: describeDevice(device), overrides });
  if (plan.kind === 'alias') return Float32Array.from(inputs[0]!.data);

  const parameters = new ParameterUploads(device);
  const compiled = await compileDispatch(device, pipelines, parameters, plan, node.name);
  const inputBuffers = inputs.map((input, i) => uploadBuffer(device, Float32Array.from(input.data), `in${i}`));
  const outputBytes = 4 * batch * outputShape!.slice(1).reduce((a, b) => a * b, 1);
  const output = device.createBuffer({ size: outputBytes, usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC });
  const staging = device.createBuffer({ size: outputBytes, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
  const placeholder = uploadBuffer(device, new Float32Array(1), 'placeholder');
  try {
    const bindGroup = bindDispatch(device, compiled, { buffer: output }, inputBuffers.map((buffer) => ({ buffer })), placeholder);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatch(pass, compiled, bindGroup, batch, maxWorkgroupsPerDimension ?? device.limits.maxComputeWorkgroupsPerDimension);
    pass.end();
    encoder.copyBufferToBuffer(output, 0, staging, 0, outputBytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    for (const buffer of [...inputBuffers, output, staging, placeholder]) buffer.destroy();
    destroyDispatch(compiled);
    parameters.destroy();
  }
}

/** `overrides` forces kernel variants; `pipelines` lets cases of one variant share its pipelines (slow to create). */
export async function checkGpuCase(
  device: GPUDevice,
  spec: OpCaseSpec,
  overrides?: KernelOverrides,
  pipelines?: PipelineFactory,
): Promise<CaseResult> {
  const opCase = spec.build();
  return checkAgainstReference(opCase, await runOnGpu(device, opCase, overrides, pipelines));
}
