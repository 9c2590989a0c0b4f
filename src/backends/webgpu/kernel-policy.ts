import { ceilDiv } from './kernel.js';

/** What the kernel choice knows about a device: its adapter's identity and the limits the tiles depend on. */
export interface DeviceDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  /**
   * Every tile has INVOCATIONS_PER_WORKGROUP invocations and binds the same storage buffers, so of the limits only
   * the workgroup memory (for staging) tells the variants apart; limits.ts checks the others for every plan.
   */
  readonly limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>;
}

/**
 * How the tiled convolution (shaders/conv2d.wgsl) divides a workgroup's output tile: its invocations form a
 * threadsAlongChannels × threadsAlongPositions grid (their product is INVOCATIONS_PER_WORKGROUP), each holding
 * channelsPerThread (a multiple of 4) × 4·positionVectors outputs in registers.
 */
export interface ConvTile {
  readonly threadsAlongChannels: number;
  readonly channelsPerThread: number;
  readonly threadsAlongPositions: number;
  readonly positionVectors: number;
}

/** 64 channels × 64 positions per workgroup, 8 × 8 outputs per invocation: the most reuse per load. */
const WIDE: ConvTile = { threadsAlongChannels: 8, channelsPerThread: 8, threadsAlongPositions: 8, positionVectors: 2 };
/** 32 × 32, 4 × 4 per invocation: a quarter of the registers (mobile GPUs), 4× the workgroups (small maps). */
const SQUARE: ConvTile = { threadsAlongChannels: 8, channelsPerThread: 4, threadsAlongPositions: 8, positionVectors: 1 };
/** 16 channels × 64 positions, 4 × 4 per invocation: layers with few channels (LeNet, stems) waste less of it. */
const NARROW: ConvTile = { threadsAlongChannels: 4, channelsPerThread: 4, threadsAlongPositions: 16, positionVectors: 1 };

export const CONV_TILES = { wide: WIDE, square: SQUARE, narrow: NARROW } as const;
export type ConvTileName = keyof typeof CONV_TILES;

/**
 * A convolution kernel: its tile, and whether each K chunk (16 columns, one packed ternary word per channel) is
 * staged in workgroup memory: the input patch loaded and the weight codes decoded once per workgroup, not once per
 * invocation that uses them.
 */
export interface ConvVariant {
  readonly tile: ConvTileName;
  readonly staged: boolean;
}

/** Every variant chooseConvVariant can pick (tests check each one's shaders and results). */
export const CONV_VARIANTS: readonly ConvVariant[] = (Object.keys(CONV_TILES) as ConvTileName[]).flatMap((tile) => [
  { tile, staged: false },
  { tile, staged: true },
]);

/**
 * The GEMV (shaders/dense.wgsl) splits each row's K over this many invocations of a workgroup; a workgroup of
 * INVOCATIONS_PER_WORKGROUP covers (INVOCATIONS_PER_WORKGROUP / slices) × its rows per invocation.
 */
export type GemvSlices = 16 | 32;
/** Every slice count chooseGemvSlices can pick (tests check each one's shaders and results). */
export const GEMV_SLICE_COUNTS: readonly GemvSlices[] = [16, 32];

/** Forces parts of the choice (tests and benchmarks); unset parts follow the device. */
export interface KernelOverrides {
  readonly convTile?: ConvTileName;
  readonly staged?: boolean;
  readonly gemvSlices?: GemvSlices;
}

/** What the choice needs to know about a convolution layer (per sample; the batch only adds workgroups). */
export interface ConvLayerSize {
  readonly outChannels: number;
  readonly positions: number;
  /** K = C·KH·KW. */
  readonly columns: number;
}

/** Channels up to which the narrow tile wastes less than the others. */
const NARROW_MAX_CHANNELS = 16;
/**
 * On a software adapter, layers of fewer multiply-adds per sample than this get the narrow tile: SwiftShader creates
 * its pipeline in half the CPU time of the wide one's (0.15 s vs 0.33 s), more than such a layer runs. A net made
 * of them (LeNet-5: 0.6 M and 5.1 M) starts faster; a net with large layers too pays one more pipeline.
 */
const SMALL_LAYER_MACS = 6e6;
/** GPU vendors whose register files favour 4 × 4 tiles over 8 × 8 (16 vec4 accumulators spill there). */
const MOBILE_VENDORS = ['arm', 'qualcomm', 'apple', 'imagination'];
/**
 * On a hardware GPU, a layer launching fewer workgroups than this at batch 1 leaves compute units idle, so it gets a
 * smaller tile. (A software adapter runs on a few CPU cores, for which even 8 workgroups are plenty.)
 */
const MIN_HARDWARE_WORKGROUPS = 64;

export function tileChannels(tile: ConvTile): number {
  return tile.threadsAlongChannels * tile.channelsPerThread;
}

export function tilePositions(tile: ConvTile): number {
  return tile.threadsAlongPositions * tile.positionVectors * 4;
}

/**
 * Workgroup memory of the staged variant: per K chunk (16 columns), the input at each position (f32) and each
 * channel's two decoded masks (u32 each, ternary-masks.wgsl).
 */
export function stagedWorkgroupBytes(tile: ConvTile): number {
  return 16 * (4 * tilePositions(tile) + 8 * tileChannels(tile));
}

/**
 * Software adapters run shaders on the CPU: SwiftShader (Chromium's fallback, and Dawn's in Node) says vendor
 * 'google', architecture 'swiftshader'; fallback adapters say so; Mesa's llvmpipe and lavapipe name themselves.
 */
export function isSoftwareAdapter(device: DeviceDescription): boolean {
  if (device.isFallbackAdapter) return true;
  if (device.vendor === 'google' && device.architecture === 'swiftshader') return true;
  return /swiftshader|llvmpipe|lavapipe/i.test(`${device.architecture} ${device.description}`);
}

export function isMobileVendor(device: DeviceDescription): boolean {
  return MOBILE_VENDORS.includes(device.vendor.toLowerCase());
}

/**
 * The convolution kernel for one layer on one device:
 * - staging: on hardware adapters whose workgroup memory holds the chunk. Not on software adapters: SwiftShader
 *   takes seconds to create a pipeline with workgroup memory (7.2 s vs 0.43 s measured), which cold start pays.
 * - tile: narrow for ≤ 16 channels, and on software adapters for small layers (SMALL_LAYER_MACS). Otherwise wide
 *   (8 × 8 registers per invocation), except on mobile vendors (4 × 4, the square tile) and, on hardware, where the
 *   wide tile would launch fewer than MIN_HARDWARE_WORKGROUPS at batch 1 (7 × 7 to 32 × 32 maps): the square tile
 *   has 4× as many.
 */
export function chooseConvVariant(
  layer: ConvLayerSize,
  device: DeviceDescription,
  overrides: KernelOverrides = {},
): ConvVariant {
  const software = isSoftwareAdapter(device);
  const tile = overrides.convTile ?? chooseTile(layer, device, software);
  const stagingFits = stagedWorkgroupBytes(CONV_TILES[tile]) <= device.limits.maxComputeWorkgroupStorageSize;
  return { tile, staged: overrides.staged ?? (!software && stagingFits) };
}

function chooseTile(layer: ConvLayerSize, device: DeviceDescription, software: boolean): ConvTileName {
  if (layer.outChannels <= NARROW_MAX_CHANNELS) return 'narrow';
  if (software && layer.outChannels * layer.positions * layer.columns < SMALL_LAYER_MACS) return 'narrow';
  if (isMobileVendor(device)) return 'square';
  if (!software && workgroupsAtBatchOne(layer, WIDE) < MIN_HARDWARE_WORKGROUPS) return 'square';
  return 'wide';
}

/**
 * The GEMV's K slices on one device: 32 on hardware adapters, so that a layer of 1,024 rows (VGG-7 fc1) launches
 * 128 workgroups at batch 1 and a large GPU has work for every compute unit; 16 on software adapters, whose few CPU
 * cores are busy with 64 workgroups and where the longer K runs per invocation were 10–15% faster (fc1, SwiftShader,
 * bench:layers process CPU time).
 */
export function chooseGemvSlices(device: DeviceDescription, overrides: KernelOverrides = {}): GemvSlices {
  return overrides.gemvSlices ?? (isSoftwareAdapter(device) ? 16 : 32);
}

export function workgroupsAtBatchOne(layer: ConvLayerSize, tile: ConvTile): number {
  return ceilDiv(layer.positions, tilePositions(tile)) * ceilDiv(layer.outChannels, tileChannels(tile));
}

/** The description of a device as WebGPU reports it (GPUDevice.adapterInfo, where the implementation has it). */
export function describeDevice(device: GPUDevice): DeviceDescription {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const fallback = (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: fallback === true,
    limits: device.limits,
  };
}
