import { TwnInputError } from '../errors.js';

/** Anything shaped like `ImageData`: RGBA bytes, row-major. Lets Node callers pass decoded PNG/JPEG pixels. */
export interface ImageDataLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

// Empty declarations merge with the DOM's where it is present and keep these names resolvable in Node projects without
// the DOM lib, so the published declarations compile there too.
declare global {
  interface HTMLImageElement {}
  interface HTMLCanvasElement {}
  interface OffscreenCanvas {}
  interface ImageBitmap {}
  interface VideoFrame {}
}

export type DrawableImage = HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | VideoFrame;

/**
 * A PNG or JPEG file's bytes. Browsers decode them natively; in Node, `twn-webgpu/node` brings a decoder (or pass
 * `imageDecoder` to loadModel).
 */
export type EncodedImage = Uint8Array | ArrayBuffer | Blob;

/**
 * An image to classify, or a Float32Array already in [0, 1], NCHW, for one image of the model's input shape.
 * A Uint8Array is always read as an encoded file: raw RGBA pixels come as `{ width, height, data }`.
 */
export type ClassifyInput = ImageDataLike | DrawableImage | EncodedImage | Float32Array;

/** What preprocessing needs to know about a model: `model.info` has both. */
export interface ImageSpec {
  /** [C, H, W] */
  readonly inputShape: readonly [number, number, number];
  readonly colorLayout: 'gray' | 'rgb';
}

/** The most pixels an image may have (100 megapixels, as the CLI): a larger one fails with IMAGE_TOO_LARGE. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export const ACCEPTED_INPUTS =
  'ImageData or a { width, height, data } RGBA object, an HTMLImageElement, canvas, OffscreenCanvas, ImageBitmap, ' +
  'VideoFrame, PNG/JPEG bytes (Uint8Array, ArrayBuffer or Blob), or a Float32Array';

/**
 * Turns one image into the model's input tensor: resized to the model's H×W, converted to its colour layout
 * (gray = BT.601 luminance, as PIL's convert('L')), scaled to [0, 1], NCHW. Mean/std normalisation is not applied
 * here: the graph's `normalize` node does it, on every backend alike. Encoded bytes must be decoded first
 * (`model.classify` does that). A Float32Array is returned as it is.
 */
export function preprocess(input: ImageDataLike | DrawableImage | Float32Array, spec: ImageSpec): Float32Array {
  const [channels, height, width] = spec.inputShape;
  if (input instanceof Float32Array) {
    if (input.length !== channels * height * width) {
      throw new TwnInputError(
        'INPUT_SHAPE',
        `expected ${channels}×${height}×${width} = ${channels * height * width} floats, got ${input.length}`,
      );
    }
    return input;
  }
  checkImageInput(input);
  if (isEncodedImage(input)) {
    throw new TwnInputError('INPUT_TYPE', 'encoded image bytes must be decoded first: pass them to model.classify()');
  }
  const pixels = isImageDataLike(input) ? input : drawToPixels(input, width, height);
  const planes = toPlanes(pixels, spec.colorLayout);
  return planesToTensor(planes.map((plane) => resizeBilinear(plane, pixels.width, pixels.height, width, height)));
}

/** Throws INPUT_TYPE, listing every accepted type, for what is no image at all (null, a number, a plain object). */
export function checkImageInput(input: unknown): asserts input is ClassifyInput {
  if (input instanceof Float32Array) return;
  const isObject = typeof input === 'object' && input !== null;
  if (!isObject || (!isImageDataLike(input) && !isEncodedImage(input) && !hasSize(input))) {
    throw new TwnInputError('INPUT_TYPE', `classify() takes ${ACCEPTED_INPUTS}; got ${describeValue(input)}`);
  }
}

export function isEncodedImage(input: unknown): input is EncodedImage {
  return (
    input instanceof Uint8Array ||
    input instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && input instanceof Blob)
  );
}

/** Refuses an image over MAX_IMAGE_PIXELS before its pixels are touched. */
export function checkPixelCount(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new TwnInputError(
      'IMAGE_TOO_LARGE',
      `${width}×${height} pixels is more than the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit`,
    );
  }
}

function hasSize(input: object): boolean {
  const sized = input as { width?: unknown; height?: unknown; naturalWidth?: unknown; displayWidth?: unknown };
  return [sized.width, sized.naturalWidth, sized.displayWidth].some((value) => typeof value === 'number');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
}

function isImageDataLike(input: object): input is ImageDataLike {
  const candidate = input as Partial<ImageDataLike>;
  const hasBytes = candidate.data instanceof Uint8ClampedArray || candidate.data instanceof Uint8Array;
  return hasBytes && typeof candidate.width === 'number' && typeof candidate.height === 'number';
}

/** Browsers resize drawables while drawing them, with their own high-quality filter, so no second resize follows. */
function drawToPixels(image: DrawableImage, width: number, height: number): ImageDataLike {
  const [sourceWidth, sourceHeight] = drawableSize(image);
  if (sourceWidth === 0 || sourceHeight === 0) {
    throw new TwnInputError('IMAGE_NOT_READY', 'the image has no pixels yet (not loaded or decoded?)');
  }
  checkPixelCount(sourceWidth, sourceHeight);
  const context = createContext(width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

function drawableSize(image: DrawableImage): [number, number] {
  if (typeof HTMLImageElement !== 'undefined' && image instanceof HTMLImageElement)
    return [image.naturalWidth, image.naturalHeight];
  if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame)
    return [image.displayWidth, image.displayHeight];
  const sized = image as { width?: unknown; height?: unknown };
  if (typeof sized.width !== 'number' || typeof sized.height !== 'number') {
    throw new TwnInputError('INPUT_TYPE', `classify() takes ${ACCEPTED_INPUTS}`);
  }
  return [sized.width, sized.height];
}

function createContext(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(width, height)
      : typeof document !== 'undefined'
        ? Object.assign(document.createElement('canvas'), { width, height })
        : undefined;
  const context = canvas?.getContext('2d', { willReadFrequently: true });
  if (!context) {
    throw new TwnInputError(
      'NO_CANVAS',
      'no 2D canvas here to draw the image: pass ImageData-like pixels { width, height, data } instead',
    );
  }
  return context as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
}

/** RGBA bytes → one [0, 1] plane per model channel. Alpha is ignored, as PIL's convert('RGB') does. */
export function toPlanes(pixels: ImageDataLike, layout: ImageSpec['colorLayout']): Float32Array[] {
  // A 0×0 image would resize to an all-zero tensor and classify as a blank image; a fractional or negative size could
  // pass the length check below (2.5 × 1.6 = 4 pixels).
  for (const [axis, extent] of [
    ['width', pixels.width],
    ['height', pixels.height],
  ] as const) {
    if (!Number.isSafeInteger(extent) || extent < 1)
      throw new TwnInputError('INPUT_SHAPE', `image ${axis} must be a positive integer, got ${extent}`);
  }
  checkPixelCount(pixels.width, pixels.height);
  const count = pixels.width * pixels.height;
  if (pixels.data.length !== count * 4) {
    throw new TwnInputError(
      'INPUT_SHAPE',
      `RGBA data of ${pixels.width}×${pixels.height} needs ${count * 4} bytes, got ${pixels.data.length}`,
    );
  }
  const data = pixels.data;
  const channel = (offset: number): Float32Array =>
    Float32Array.from({ length: count }, (_, i) => (data[i * 4 + offset] ?? 0) / 255);
  if (layout === 'rgb') return [channel(0), channel(1), channel(2)];
  const gray = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    gray[i] = (0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0)) / 255;
  }
  return [gray];
}

/**
 * Separable bilinear resize with half-pixel centres; when shrinking, the triangle filter widens with the scale so
 * every source pixel contributes (antialiased, as PIL's and torchvision's bilinear resize).
 */
export function resizeBilinear(
  plane: Float32Array,
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
): Float32Array {
  if (sourceWidth === width && sourceHeight === height) return plane;
  const columns = axisWeights(sourceWidth, width);
  const rows = axisWeights(sourceHeight, height);
  const horizontal = new Float32Array(sourceHeight * width);
  for (let y = 0; y < sourceHeight; y++) {
    for (let x = 0; x < width; x++)
      horizontal[y * width + x] = columns.apply(x, (j) => plane[y * sourceWidth + j] ?? 0);
  }
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = rows.apply(y, (j) => horizontal[j * width + x] ?? 0);
  }
  return out;
}

interface AxisWeights {
  /** Weighted sum of the source samples that feed output index `i`. */
  apply(i: number, sample: (j: number) => number): number;
}

function axisWeights(sourceSize: number, size: number): AxisWeights {
  const scale = sourceSize / size;
  const support = Math.max(scale, 1);
  const taps = Array.from({ length: size }, (_, i) => {
    const center = (i + 0.5) * scale;
    const first = Math.max(0, Math.floor(center - support));
    const last = Math.min(sourceSize, Math.ceil(center + support));
    const weights = Array.from({ length: last - first }, (_, k) =>
      Math.max(0, 1 - Math.abs((first + k + 0.5 - center) / support)),
    );
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    return { first, weights: weights.map((weight) => weight / total) };
  });
  return {
    apply(i, sample) {
      const tap = taps[i];
      if (!tap) return 0;
      let sum = 0;
      tap.weights.forEach((weight, k) => (sum += weight * sample(tap.first + k)));
      return sum;
    },
  };
}

function planesToTensor(planes: readonly Float32Array[]): Float32Array {
  const size = planes[0]?.length ?? 0;
  const tensor = new Float32Array(planes.length * size);
  planes.forEach((plane, c) => tensor.set(plane, c * size));
  return tensor;
}
