import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../src/backends/webgpu/executor.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildLeNet5, buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { testDevice } from './test-device.js';

// Pipeline creation dominates cold start on SwiftShader, so layers of a kernel variant must share one pipeline (sizes
// in a uniform). Counted by hand from the optimised graphs, on SwiftShader's own choice of variants:
const NETS = [
  // normalize, 2 small convolutions (one narrow-tile pipeline), 2 max-pools (window sizes are override constants, so
  // one pipeline each), 2 dense layers (one GEMV pipeline).
  { name: 'LeNet-5', build: () => buildLeNet5({ seed: 1 }), pipelines: 5 },
  // normalize, 6 convolutions (conv1, 0.9 M multiply-adds: narrow; the others wide), 3 max-pools, 2 dense layers.
  { name: 'VGG-7 (width × 0.25)', build: () => buildVgg7({ seed: 1, widthMultiplier: 0.25 }), pipelines: 7 },
  // normalize, 20 convolutions (the stem and 3 downsamples, ~2 M multiply-adds: narrow; 16 wide, 8 of them with a
  // fused residual), global average pool, 1 dense layer.
  { name: 'ResNet-18 CIFAR', build: () => buildResNet18({ seed: 1, variant: 'cifar' }), pipelines: 5 },
];

let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});
afterAll(() => device?.destroy());

describe('layers of a kernel variant share one pipeline', () => {
  it.each(NETS.map((net) => [net.name, net] as const))('%s', async (_name, net) => {
    const model = await compileWebGpu(graphFromFile(readTwnFile(net.build())), device);
    expect(model.pipelineCount).toBe(net.pipelines);
    model.dispose();
  }, 120_000);
});
