import type { GraphNode } from '../graph/ir.js';
import { AttrReader } from './attrs.js';
import { describeNode, type OpDef } from './op.js';
import { rejectParams } from './params.js';
import { inputAt, inputShapeOfRank, planeOffset, zerosLike } from './tensor.js';
import { forEachTapInside, readWindow, WINDOW_ATTRS, windowAttrs, windowOutputShape, type Window2d } from './window.js';

/** maxpool/avgpool attributes: kernel required, stride defaults to the kernel, padding to [0, 0]. */
export function poolAttrs(node: GraphNode, where = describeNode(node)): Window2d {
  return readWindow(new AttrReader(node, `${where}.attrs`, WINDOW_ATTRS), 'kernel');
}

/**
 * maxpool and avgpool differ only in how they reduce the in-image cells of a window (padded cells never take part:
 * −∞ for max, left out of the count for mean). Every window overlaps the image because padding < kernel.
 */
export function windowPool(type: string, reduce: (cells: readonly number[]) => number): OpDef {
  return {
    type,
    inputs: ['x'],
    fusedInputs: [],
    storable: true,

    normalize(node, tensors, where) {
      const window = poolAttrs(node, where);
      rejectParams(node, tensors, where);
      return windowAttrs(window);
    },

    inferShapes([x], node, _graph, where) {
      const input = inputShapeOfRank(x, [4], type, where);
      return [windowOutputShape(input, poolAttrs(node, where), input[1]!, type, where)];
    },

    reference(inputs, node) {
      const x = inputAt(inputs, 0, type);
      const window = poolAttrs(node);
      const [batch, channels, height, width] = x.shape as [number, number, number, number];
      const y = zerosLike(windowOutputShape(x.shape, window, channels, type, describeNode(node)));
      const [, , outHeight, outWidth] = y.shape as [number, number, number, number];
      for (let n = 0; n < batch; n++) {
        for (let c = 0; c < channels; c++) {
          const inPlane = planeOffset(n, c, channels, height * width);
          const outPlane = planeOffset(n, c, channels, outHeight * outWidth);
          for (let outY = 0; outY < outHeight; outY++) {
            for (let outX = 0; outX < outWidth; outX++) {
              const cells: number[] = [];
              forEachTapInside(window, height, width, outY, outX, (_tap, inY, inX) => {
                cells.push(x.data[inPlane + inY * width + inX]!);
              });
              y.data[outPlane + outY * outWidth + outX] = reduce(cells);
            }
          }
        }
      }
      return [y];
    },
  };
}
