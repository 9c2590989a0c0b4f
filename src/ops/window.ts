import type { GraphNode } from '../graph/ir.js';
import { AttrReader, type IntPair } from './attrs.js';
import { formatShape, shapeMismatch } from './tensor.js';

/** Geometry shared by conv2d, maxpool and avgpool: one place for the attribute rules and the indexing. */
export interface Window2d {
  readonly kernel: IntPair;
  readonly stride: IntPair;
  readonly padding: IntPair;
}

/** A window over one image with its input and output extents, as the backends' kernels are sized. */
export interface WindowGeometry extends Window2d {
  readonly height: number;
  readonly width: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

export const WINDOW_ATTRS = ['kernel', 'stride', 'padding'] as const;

/** docs/FORMAT.md §4: kernel 1…15, stride 1…8, padding 0…kernel−1 (the kernel must overlap the image). */
export function readWindow(reader: AttrReader, strideDefault: 'ones' | 'kernel'): Window2d {
  const kernel = reader.intPair('kernel', { min: 1, max: 15 });
  const stride = reader.intPair('stride', { min: 1, max: 8 }, strideDefault === 'kernel' ? kernel : [1, 1]);
  const padding = reader.intPair('padding', { min: 0, max: [kernel[0] - 1, kernel[1] - 1] }, [0, 0]);
  return { kernel, stride, padding };
}

export function windowAttrs(window: Window2d): GraphNode['attrs'] {
  return { kernel: window.kernel, stride: window.stride, padding: window.padding };
}

export function windowOutputExtent(inputExtent: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((inputExtent + 2 * padding - kernel) / stride) + 1;
}

/** [N, C, H, W] → [N, channels, OH, OW]; an output smaller than 1×1 is SHAPE_MISMATCH. */
export function windowOutputShape(
  input: readonly number[],
  window: Window2d,
  channels: number,
  op: string,
  where: string,
): number[] {
  const [batch, , height, width] = input as [number, number, number, number];
  const outHeight = windowOutputExtent(height, window.kernel[0], window.stride[0], window.padding[0]);
  const outWidth = windowOutputExtent(width, window.kernel[1], window.stride[1], window.padding[1]);
  if (outHeight < 1 || outWidth < 1) {
    throw shapeMismatch(
      `${op} kernel ${formatShape(window.kernel)} with padding ${formatShape(window.padding)} does not fit input ${formatShape(input)}`,
      where,
    );
  }
  return [batch, channels, outHeight, outWidth];
}

/**
 * Visits the taps of the window at output cell (outY, outX) that fall inside the H×W image, with the tap index
 * `i·kw + j` and the image row/column it reads. Padded taps are skipped: conv treats them as zero, maxpool as −∞,
 * avgpool leaves them out of the count.
 */
export function forEachTapInside(
  window: Window2d,
  height: number,
  width: number,
  outY: number,
  outX: number,
  visit: (tap: number, y: number, x: number) => void,
): void {
  const [kernelH, kernelW] = window.kernel;
  const top = outY * window.stride[0] - window.padding[0];
  const left = outX * window.stride[1] - window.padding[1];
  for (let i = 0; i < kernelH; i++) {
    const y = top + i;
    if (y < 0 || y >= height) continue;
    for (let j = 0; j < kernelW; j++) {
      const x = left + j;
      if (x < 0 || x >= width) continue;
      visit(i * kernelW + j, y, x);
    }
  }
}
