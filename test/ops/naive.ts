/**
 * Second, independent implementations written differently from src/ops: weights decoded to floats (alpha·sign)
 * and multiplied, explicit nested loops with bounds checks instead of window helpers, no shared code.
 */

export interface NaiveConv {
  x: readonly number[];
  batch: number;
  channels: number;
  height: number;
  width: number;
  /** Float weights [O, C, kh, kw], already alpha·sign for ternary layers. */
  weight: readonly number[];
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  scale?: readonly number[];
  bias?: readonly number[];
  residual?: readonly number[];
  relu: boolean;
}

export function naiveConv2d(c: NaiveConv): { shape: number[]; data: number[] } {
  const [kh, kw] = c.kernel;
  const [sh, sw] = c.stride;
  const [ph, pw] = c.padding;
  const outH = Math.floor((c.height + 2 * ph - kh) / sh) + 1;
  const outW = Math.floor((c.width + 2 * pw - kw) / sw) + 1;
  const data: number[] = [];
  for (let n = 0; n < c.batch; n++) {
    for (let o = 0; o < c.outChannels; o++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let sum = 0;
          for (let ci = 0; ci < c.channels; ci++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const y = oy * sh + i - ph;
                const x = ox * sw + j - pw;
                const inside = y >= 0 && y < c.height && x >= 0 && x < c.width;
                const pixel = inside ? c.x[n * c.channels * c.height * c.width + ci * c.height * c.width + y * c.width + x]! : 0;
                sum += c.weight[o * c.channels * kh * kw + ci * kh * kw + i * kw + j]! * pixel;
              }
            }
          }
          const index = data.length;
          let value = sum * (c.scale?.[o] ?? 1) + (c.bias?.[o] ?? 0) + (c.residual?.[index] ?? 0);
          if (c.relu) value = Math.max(0, value);
          data.push(value);
        }
      }
    }
  }
  return { shape: [c.batch, c.outChannels, outH, outW], data };
}

/** y = x·Wᵀ as a plain matrix product, then the affine tail. */
export function naiveDense(
  x: readonly number[],
  batch: number,
  weight: readonly number[],
  outFeatures: number,
  tail: { scale?: readonly number[]; bias?: readonly number[]; residual?: readonly number[]; relu: boolean },
): number[] {
  const features = x.length / batch;
  const result: number[] = [];
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = 0;
      for (let k = 0; k < features; k++) sum += x[n * features + k]! * weight[o * features + k]!;
      const value = sum * (tail.scale?.[o] ?? 1) + (tail.bias?.[o] ?? 0) + (tail.residual?.[n * outFeatures + o] ?? 0);
      result.push(tail.relu ? Math.max(0, value) : value);
    }
  }
  return result;
}

/** Pooling written as "gather the window into a list, drop padded cells". */
export function naivePool(
  x: readonly number[],
  shape: [number, number, number, number],
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  kind: 'max' | 'avg',
): number[] {
  const [n, c, h, w] = shape;
  const outH = Math.floor((h + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
  const outW = Math.floor((w + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
  const out: number[] = [];
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const cells: number[] = [];
        for (let y = oy * stride[0] - padding[0]; y < oy * stride[0] - padding[0] + kernel[0]; y++) {
          for (let xx = ox * stride[1] - padding[1]; xx < ox * stride[1] - padding[1] + kernel[1]; xx++) {
            if (y >= 0 && y < h && xx >= 0 && xx < w) cells.push(x[plane * h * w + y * w + xx]!);
          }
        }
        out.push(kind === 'max' ? cells.reduce((a, b) => (b > a ? b : a), -Infinity) : cells.reduce((a, b) => a + b, 0) / cells.length);
      }
    }
  }
  return out;
}
