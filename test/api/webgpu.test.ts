import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { loadModel } from '../../src/index.js';
import { buildLeNet5 } from '../../src/models/index.js';

// Dawn from the `webgpu` package; in CI on SwiftShader (VK_ICD_FILENAMES, see scripts/test-all.sh).
const adapterFound = await acquireDevice()
  .then(({ device }) => (device.destroy(), true))
  .catch(() => false);

describe.skipIf(!adapterFound)('loadModel on WebGPU (Dawn)', () => {
  const bytes = buildLeNet5({ seed: 11 });
  const images = Float32Array.from({ length: 2 * 784 }, (_, i) => ((i * 7919) % 255) / 255);

  it('matches the CPU backend for a batch', async () => {
    const gpu = await loadModel(bytes, { backend: 'webgpu' });
    const cpu = await loadModel(bytes, { backend: 'cpu' });
    expect(gpu.info.backend.kind).toBe('webgpu');
    expect(gpu.info.backend.adapter?.name).toBeTruthy();
    expect(gpu.info.backend.kernels).toBeUndefined();
    expect(cpu.info.backend.kernels).toBe('wasm-simd');
    const [gpuLogits, cpuLogits] = [await gpu.run(images, 2), await cpu.run(images, 2)];
    expect(gpuLogits).toHaveLength(20);
    gpuLogits.forEach((value, i) => expect(value).toBeCloseTo(cpuLogits[i]!, 3));
    gpu.dispose();
    cpu.dispose();
    await expect(gpu.run(images, 2)).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it("passes over a software adapter under 'auto', naming it", async () => {
    const model = await loadModel(bytes);
    const { backend } = model.info;
    model.dispose();
    if (!backend.adapter?.isSoftware) return;
    expect(backend.kind).toBe('cpu');
    expect(backend.reason).toMatch(/software/);
  });
});
