import { poolAttrs } from '../../../ops/pool.js';
import { shapeOf, type WasmOp } from '../kernel.js';
import { POOL_FIELDS, TASK } from './kernels.js';
import { streamingStep } from './tasks.js';

/** maxpool, avgpool and global average pooling: one descriptor, tasks over planes (image·channels + channel). */
function pool(kind: 'max' | 'mean' | 'global'): WasmOp {
  return (node) => {
    const window = kind === 'global' ? undefined : poolAttrs(node);
    return (step) => {
      const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
      const [, , outHeight = 1, outWidth = 1] = shapeOf(step.outputShapes, 0);
      const task = kind === 'max' ? TASK.maxPool : kind === 'mean' ? TASK.avgPool : TASK.globalAvgPool;
      const P = POOL_FIELDS;
      return streamingStep(task, batch * channels, height * width, P.SIZE, (fields, io) => {
        fields[P.IN] = io.inputs[0]!;
        fields[P.OUT] = io.output;
        fields[P.HEIGHT] = height;
        fields[P.WIDTH] = width;
        fields[P.OUT_HEIGHT] = outHeight;
        fields[P.OUT_WIDTH] = outWidth;
        if (window !== undefined) {
          [fields[P.KERNEL_H], fields[P.KERNEL_W]] = window.kernel;
          [fields[P.STRIDE_Y], fields[P.STRIDE_X]] = window.stride;
          [fields[P.PAD_TOP], fields[P.PAD_LEFT]] = window.padding;
        }
      });
    };
  };
}

export const wasmMaxpool = pool('max');
export const wasmAvgpool = pool('mean');
export const wasmGlobalAvgpool = pool('global');
