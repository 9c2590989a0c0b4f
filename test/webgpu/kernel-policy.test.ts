import { describe, expect, it } from 'vitest';
import { gemvWorkgroups } from '../../src/backends/webgpu/kernels/linear.js';
import {
  chooseConvVariant,
  chooseGemvSlices,
  CONV_VARIANTS,
  describeDevice,
  isSoftwareAdapter,
  stagedWorkgroupBytes,
  CONV_TILES,
  type DeviceDescription,
} from '../../src/backends/webgpu/kernel-policy.js';

// Adapters as WebGPU describes them (GPUAdapterInfo, limits); the figures are the specification's defaults (16 KiB
// of workgroup memory) or what such devices report (32 KiB on desktop GPUs).
function adapter(vendor: string, architecture: string, extra: Partial<DeviceDescription> = {}): DeviceDescription {
  return {
    vendor,
    architecture,
    description: '',
    isFallbackAdapter: false,
    limits: { maxComputeWorkgroupStorageSize: 32768 },
    ...extra,
  };
}
const SWIFTSHADER = adapter('google', 'swiftshader', {
  description: 'SwiftShader driver 5.0.0',
  isFallbackAdapter: true,
  limits: { maxComputeWorkgroupStorageSize: 16384 },
});
const NVIDIA = adapter('nvidia', 'ampere');
const MALI = adapter('arm', 'valhall', { limits: { maxComputeWorkgroupStorageSize: 16384 } });
const APPLE = adapter('apple', 'metal-3');

// Per-sample sizes of layers of the bench nets.
const VGG7_CONV4 = { outChannels: 256, positions: 16 * 16, columns: 256 * 9 };
const VGG7_CONV2 = { outChannels: 128, positions: 32 * 32, columns: 128 * 9 };
const RESNET_LAYER1 = { outChannels: 64, positions: 56 * 56, columns: 64 * 9 };
const RESNET_LAYER4 = { outChannels: 512, positions: 7 * 7, columns: 512 * 9 };
const RESNET_DOWNSAMPLE = { outChannels: 512, positions: 7 * 7, columns: 256 };
const FEW_CHANNELS = { outChannels: 6, positions: 28 * 28, columns: 25 };
// LeNet-5's: 32 × 784 × 25 and 64 × 100 × 800 multiply-adds.
const LENET_CONV1 = { outChannels: 32, positions: 28 * 28, columns: 25 };
const LENET_CONV2 = { outChannels: 64, positions: 10 * 10, columns: 32 * 25 };
const BIG_MAP = { outChannels: 256, positions: 112 * 112, columns: 128 * 9 };

describe('the convolution variant per layer and device', () => {
  it('software adapters never stage, and keep the 8 × 8 register tile for large layers wider than 16 channels', () => {
    for (const layer of [VGG7_CONV4, VGG7_CONV2, RESNET_LAYER1, RESNET_LAYER4, RESNET_DOWNSAMPLE, BIG_MAP]) {
      expect(chooseConvVariant(layer, SWIFTSHADER)).toEqual({ tile: 'wide', staged: false });
    }
    expect(chooseConvVariant(FEW_CHANNELS, SWIFTSHADER)).toEqual({ tile: 'narrow', staged: false });
  });

  it('software adapters give layers under 6 M multiply-adds the narrow tile (cheaper to create)', () => {
    // 512 × 49 × 256 = 6.4 M: just above.
    expect(chooseConvVariant(RESNET_DOWNSAMPLE, SWIFTSHADER).tile).toBe('wide');
    expect(chooseConvVariant(LENET_CONV1, SWIFTSHADER)).toEqual({ tile: 'narrow', staged: false });
    expect(chooseConvVariant(LENET_CONV2, SWIFTSHADER)).toEqual({ tile: 'narrow', staged: false });
    // Hardware adapters size tiles by workgroups instead.
    expect(chooseConvVariant(LENET_CONV1, NVIDIA)).toEqual({ tile: 'square', staged: true });
  });

  it('software adapters are recognised by the fallback flag, by SwiftShader\'s vendor/architecture, or by name', () => {
    expect(isSoftwareAdapter(SWIFTSHADER)).toBe(true);
    expect(isSoftwareAdapter(adapter('acme', 'x', { isFallbackAdapter: true }))).toBe(true);
    expect(isSoftwareAdapter(adapter('google', 'swiftshader'))).toBe(true);
    expect(isSoftwareAdapter(adapter('mesa', '', { description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isSoftwareAdapter(NVIDIA)).toBe(false);
    expect(isSoftwareAdapter(adapter('google', 'angle'))).toBe(false);
  });

  it('a desktop GPU stages, with 8 × 8 tiles where they launch ≥ 64 workgroups and 32 × 32 tiles where not', () => {
    // 112² positions × 256 channels: 196 × 4 wide tiles.
    expect(chooseConvVariant(BIG_MAP, NVIDIA)).toEqual({ tile: 'wide', staged: true });
    // 7 × 7 × 512: 1 × 8 wide tiles, 2 × 16 square ones; 16² × 256: 4 × 4 wide; 56² × 64: 49 × 1 wide.
    for (const layer of [RESNET_LAYER4, VGG7_CONV4, RESNET_LAYER1, VGG7_CONV2]) {
      expect(chooseConvVariant(layer, NVIDIA)).toEqual({ tile: 'square', staged: true });
    }
    expect(chooseConvVariant(FEW_CHANNELS, NVIDIA)).toEqual({ tile: 'narrow', staged: true });
  });

  it('mobile vendors get 4 × 4 register tiles even where 8 × 8 tiles would launch enough workgroups', () => {
    for (const mobile of [MALI, APPLE, adapter('Qualcomm', 'adreno-7xx'), adapter('imagination', 'bxs')]) {
      expect(chooseConvVariant(BIG_MAP, mobile)).toEqual({ tile: 'square', staged: true });
      expect(chooseConvVariant(FEW_CHANNELS, mobile)).toEqual({ tile: 'narrow', staged: true });
    }
  });

  it('staging needs the tile\'s chunk to fit in workgroup memory', () => {
    // Per chunk of 16 columns: 4 bytes per position (inputs) and 8 per channel (two masks).
    expect(stagedWorkgroupBytes(CONV_TILES.wide)).toBe(16 * (4 * 64 + 8 * 64));
    expect(stagedWorkgroupBytes(CONV_TILES.square)).toBe(16 * (4 * 32 + 8 * 32));
    const small = adapter('acme', 'gpu', { limits: { maxComputeWorkgroupStorageSize: 8192 } });
    expect(chooseConvVariant(BIG_MAP, small)).toEqual({ tile: 'wide', staged: false });
    expect(chooseConvVariant(RESNET_LAYER4, small)).toEqual({ tile: 'square', staged: true });
  });

  it('overrides force the tile, the staging, or both', () => {
    expect(chooseConvVariant(VGG7_CONV4, SWIFTSHADER, { staged: true })).toEqual({ tile: 'wide', staged: true });
    expect(chooseConvVariant(VGG7_CONV4, NVIDIA, { staged: false })).toEqual({ tile: 'square', staged: false });
    expect(chooseConvVariant(FEW_CHANNELS, NVIDIA, { convTile: 'wide', staged: false })).toEqual({
      tile: 'wide',
      staged: false,
    });
  });

  it('lists every variant it can pick, each once', () => {
    const keys = CONV_VARIANTS.map((variant) => `${variant.tile}/${variant.staged}`);
    expect(new Set(keys).size).toBe(keys.length);
    const picked = [SWIFTSHADER, NVIDIA, MALI].flatMap((device) =>
      [VGG7_CONV4, BIG_MAP, FEW_CHANNELS, LENET_CONV1].map((layer) => chooseConvVariant(layer, device)),
    );
    for (const variant of picked) expect(keys).toContain(`${variant.tile}/${variant.staged}`);
  });

  it('reads the adapter from GPUDevice.adapterInfo, and takes a device without it for a hardware one', () => {
    const limits = { maxComputeWorkgroupStorageSize: 16384 } as GPUSupportedLimits;
    const info = { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true };
    const described = describeDevice({ adapterInfo: info, limits } as unknown as GPUDevice);
    expect(isSoftwareAdapter(described)).toBe(true);
    expect(isSoftwareAdapter(describeDevice({ limits } as unknown as GPUDevice))).toBe(false);
  });
});

describe('the GEMV per device', () => {
  it('hardware adapters split K over 32 slices: VGG-7 fc1 (8192 → 1024) launches 128 workgroups at batch 1', () => {
    for (const device of [NVIDIA, MALI, APPLE]) {
      const slices = chooseGemvSlices(device);
      expect(slices).toBe(32);
      expect(gemvWorkgroups(1, 1024, slices)).toBe(128);
    }
  });

  it('software adapters keep 16 slices (64 workgroups for fc1: plenty for a few CPU cores); overrides force it', () => {
    expect(chooseGemvSlices(SWIFTSHADER)).toBe(16);
    expect(gemvWorkgroups(1, 1024, 16)).toBe(64);
    expect(chooseGemvSlices(SWIFTSHADER, { gemvSlices: 32 })).toBe(32);
    expect(chooseGemvSlices(NVIDIA, { gemvSlices: 16 })).toBe(16);
  });

  it('counts sample groups and partial row tiles', () => {
    expect(gemvWorkgroups(3, 1000, 32)).toBe(2 * 125);
    expect(gemvWorkgroups(8, 10, 16)).toBe(4 * 1);
  });
});
