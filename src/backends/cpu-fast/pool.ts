import { poolAttrs } from '../../ops/pool.js';
import { shapeOf, type FastOp } from './kernel.js';

/**
 * maxpool/avgpool over each window's in-image cells. The rows and columns a window covers are clamped to the image
 * once per output cell, so the inner loops have no bounds checks; padded cells never take part (docs/FORMAT.md §4).
 */
function windowPool(reduce: 'max' | 'mean'): FastOp {
  return (node) => {
    const { kernel, stride, padding } = poolAttrs(node);
    return (step) => {
      const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
      const [, , outHeight, outWidth] = shapeOf(step.outputShapes, 0) as [number, number, number, number];
      return {
        scratchSize: 0,
        run({ inputs, output }) {
          const input = inputs[0]!;
          for (let plane = 0; plane < batch * channels; plane++) {
            const inPlane = plane * height * width;
            let at = plane * outHeight * outWidth;
            for (let outY = 0; outY < outHeight; outY++) {
              const top = outY * stride[0] - padding[0];
              const yFrom = Math.max(0, top);
              const yTo = Math.min(height, top + kernel[0]);
              for (let outX = 0; outX < outWidth; outX++) {
                const left = outX * stride[1] - padding[1];
                const xFrom = Math.max(0, left);
                const xTo = Math.min(width, left + kernel[1]);
                let max = -Infinity;
                let sum = 0;
                for (let y = yFrom; y < yTo; y++) {
                  const row = inPlane + y * width;
                  for (let x = row + xFrom; x < row + xTo; x++) {
                    const value = input[x]!;
                    if (value > max) max = value;
                    sum += value;
                  }
                }
                output[at++] = reduce === 'max' ? max : sum / ((yTo - yFrom) * (xTo - xFrom));
              }
            }
          }
        },
      };
    };
  };
}

export const fastMaxpool = windowPool('max');
export const fastAvgpool = windowPool('mean');

export const fastGlobalAvgpool: FastOp = () => (step) => {
  const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
  const planeSize = height * width;
  return {
    scratchSize: 0,
    run({ inputs, output }) {
      const input = inputs[0]!;
      for (let plane = 0; plane < batch * channels; plane++) {
        let sum = 0;
        for (let i = plane * planeSize; i < (plane + 1) * planeSize; i++) sum += input[i]!;
        output[plane] = sum / planeSize;
      }
    },
  };
};
