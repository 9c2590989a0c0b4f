import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_PIXELS, preprocess, resizeBilinear, type ImageSpec } from '../../src/api/preprocess.js';
import { TwnInputError } from '../../src/errors.js';

function spec(inputShape: [number, number, number], colorLayout: 'gray' | 'rgb'): ImageSpec {
  return { inputShape, colorLayout };
}

/** RGBA bytes from [r, g, b] triples, alpha 255. */
function rgba(width: number, height: number, pixels: [number, number, number][]) {
  return { width, height, data: Uint8ClampedArray.from(pixels.flatMap(([r, g, b]) => [r, g, b, 255])) };
}

describe('preprocess', () => {
  it('converts to gray with BT.601 luminance, scaled to [0, 1]', () => {
    const image = rgba(2, 1, [
      [255, 0, 0],
      [0, 0, 255],
    ]);
    const tensor = preprocess(image, spec([1, 1, 2], 'gray'));
    expect(tensor[0]).toBeCloseTo(0.299, 6);
    expect(tensor[1]).toBeCloseTo(0.114, 6);
  });

  it('averages a 2×2 image into one pixel when shrinking (every source pixel weighs 1/4)', () => {
    const image = rgba(2, 2, [
      [255, 255, 255],
      [0, 0, 0],
      [0, 0, 0],
      [51, 51, 51],
    ]);
    const [gray] = preprocess(image, spec([1, 1, 1], 'gray'));
    expect(gray).toBeCloseTo((1 + 0.2) / 4, 6);
  });

  it('interpolates with half-pixel centres when enlarging, clamping at the edges', () => {
    // Worked by hand: output centres at 0.25, 0.75, 1.25, 1.75 source pixels → weights (1), (¾, ¼), (¼, ¾), (1).
    const image = rgba(2, 1, [
      [0, 0, 0],
      [204, 204, 204],
    ]);
    const tensor = preprocess(image, spec([1, 1, 4], 'gray'));
    expect([...tensor].map((value) => Number(value.toFixed(6)))).toEqual([0, 0.2, 0.6, 0.8]);
  });

  it('lays RGB out as NCHW planes, ignoring alpha', () => {
    const image = { width: 2, height: 1, data: Uint8ClampedArray.from([255, 0, 51, 0, 0, 102, 255, 128]) };
    const tensor = preprocess(image, spec([3, 1, 2], 'rgb'));
    expect([...tensor].map((value) => Number(value.toFixed(4)))).toEqual([1, 0, 0, 0.4, 0.2, 1]);
  });

  it('resizes a hand-worked 4×4 to 2×2 gray: each output is the mean of its block', () => {
    const levels = [0, 51, 102, 153, 204, 255];
    const pixels = Array.from({ length: 16 }, (_, i): [number, number, number] => {
      const level = levels[(Math.floor(i / 4) >> 1) * 2 + ((i % 4) >> 1)] ?? 0;
      return [level, level, level];
    });
    const tensor = preprocess(rgba(4, 4, pixels), spec([1, 2, 2], 'gray'));
    // Scale 2: the triangle filter spans 4 source pixels with weights 1/8, 3/8, 3/8, 1/8, clamped to the image.
    // Top-left output: columns 0..2 with weights (3/8, 3/8, 1/8)/(7/8) over blocks of 0 and 51.
    const edge = (near: number, far: number) => (6 * near + far) / 7;
    const top = [edge(0, 51), edge(51, 0)];
    const bottom = [edge(102, 153), edge(153, 102)];
    const expected = [
      edge(top[0]!, bottom[0]!),
      edge(top[1]!, bottom[1]!),
      edge(bottom[0]!, top[0]!),
      edge(bottom[1]!, top[1]!),
    ];
    expect([...tensor].map((value) => value * 255)).toEqual(expected.map((value) => expect.closeTo(value, 3)));
  });

  it('passes a Float32Array of the right size through, and rejects a wrong one', () => {
    const tensor = new Float32Array(12);
    expect(preprocess(tensor, spec([3, 2, 2], 'rgb'))).toBe(tensor);
    expect(() => preprocess(new Float32Array(11), spec([3, 2, 2], 'rgb'))).toThrow(TwnInputError);
  });

  it('rejects RGBA data of the wrong length', () => {
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8ClampedArray(15) }, spec([1, 2, 2], 'gray'))).toThrow(
      /needs 16 bytes/,
    );
  });

  it('rejects pixels of no size, or a width or height that is not a positive integer (was an all-zero tensor)', () => {
    const cases: [number, number, number][] = [
      [0, 0, 0],
      [0, 3, 0],
      [-1, -1, 4],
      [2.5, 1.6, 16],
      [Number.NaN, 1, 0],
    ];
    for (const [width, height, bytes] of cases) {
      expect(() => preprocess({ width, height, data: new Uint8ClampedArray(bytes) }, spec([1, 2, 2], 'gray'))).toThrow(
        expect.objectContaining({ code: 'INPUT_SHAPE' }),
      );
    }
  });

  it('refuses an image over the pixel limit (IMAGE_TOO_LARGE) before reading its pixels', () => {
    const side = Math.floor(Math.sqrt(MAX_IMAGE_PIXELS)) + 1;
    // The data is far too short too: the size check must come first, or a caller would be told to send 40 GB.
    const huge = { width: side, height: side, data: new Uint8ClampedArray(4) };
    expect(() => preprocess(huge, spec([1, 2, 2], 'gray'))).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }),
    );
    const wide = { width: MAX_IMAGE_PIXELS + 1, height: 1, data: new Uint8ClampedArray(4) };
    expect(() => preprocess(wide, spec([1, 2, 2], 'gray'))).toThrow(/megapixel limit/);
  });

  it('names every accepted type when given no image at all', () => {
    for (const bad of [null, undefined, 42, 'digit.png', {}, { data: new Uint8Array(4) }]) {
      expect(() => preprocess(bad as unknown as Float32Array, spec([1, 2, 2], 'gray'))).toThrow(
        expect.objectContaining({
          code: 'INPUT_TYPE',
          message: expect.stringMatching(/\{ width, height, data \}.*Blob/),
        }),
      );
    }
  });

  it('asks for pixels when there is no canvas to draw on (Node)', () => {
    expect(() => preprocess({ width: 4, height: 4 } as unknown as ImageBitmap, spec([1, 2, 2], 'gray'))).toThrow(
      expect.objectContaining({ code: 'NO_CANVAS' }),
    );
  });
});

describe('resizeBilinear', () => {
  it('keeps a constant image constant at any scale', () => {
    const plane = new Float32Array(7 * 5).fill(0.5);
    for (const [width, height] of [
      [3, 2],
      [14, 10],
      [1, 1],
      [28, 28],
    ] as const) {
      expect(resizeBilinear(plane, 7, 5, width, height).every((value) => Math.abs(value - 0.5) < 1e-6)).toBe(true);
    }
  });
});
