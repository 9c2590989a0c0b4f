import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONV_VARIANTS, GEMV_SLICE_COUNTS } from '../../src/backends/webgpu/kernel-policy.js';
import { PipelineFactory } from '../../src/backends/webgpu/pipelines.js';
import { CONV_CASES, DENSE_CASES } from '../op-cases/cases.js';
import { checkGpuCase } from '../op-cases/run-webgpu.js';
import { testDevice } from './test-device.js';

// Every convolution variant and GEMV slice count the device policy can pick, forced on SwiftShader (whose own choice
// kernels.test.ts runs), over every conv2d / dense case of the op table: tile edges, strides, padding, residuals,
// batches, K not whole words, float weights.

let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});
afterAll(() => device?.destroy());

describe.each(CONV_VARIANTS.map((variant) => [`${variant.tile}${variant.staged ? ', staged' : ''}`, variant] as const))(
  'conv2d forced to the %s variant matches the float64 reference',
  (_name, variant) => {
    // One factory per variant: its two pipelines (ternary, float) are created once for all its cases.
    let pipelines: PipelineFactory;
    beforeAll(() => {
      pipelines = new PipelineFactory(device);
    });
    it.each(CONV_CASES.map((spec) => [spec.name, spec] as const))('%s', async (_case, spec) => {
      const result = await checkGpuCase(device, spec, { convTile: variant.tile, staged: variant.staged }, pipelines);
      expect(result.pass, result.message).toBe(true);
    }, 120_000);
  },
);

describe.each(GEMV_SLICE_COUNTS.map((slices) => [slices] as const))(
  'dense forced to %i K slices per row matches the float64 reference',
  (slices) => {
    let pipelines: PipelineFactory;
    beforeAll(() => {
      pipelines = new PipelineFactory(device);
    });
    it.each(DENSE_CASES.map((spec) => [spec.name, spec] as const))('%s', async (_case, spec) => {
      const result = await checkGpuCase(device, spec, { gemvSlices: slices }, pipelines);
      expect(result.pass, result.message).toBe(true);
    }, 120_000);
  },
);
