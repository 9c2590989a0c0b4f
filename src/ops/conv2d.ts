import { TwnFormatError } from '../errors.js';
import type { Activation, GraphNode } from '../graph/ir.js';
import { AttrReader } from './attrs.js';
import { checkLinearParams, checkResidualShape, linearWeightShape, loadLinearLayer } from './linear.js';
import { describeNode, type OpDef } from './op.js';
import { formatShape, inputAt, inputShapeOfRank, planeOffset, shapeMismatch, zerosLike } from './tensor.js';
import { forEachTapInside, readWindow, WINDOW_ATTRS, windowAttrs, windowOutputShape, type Window2d } from './window.js';

export interface Conv2dAttrs extends Window2d {
  readonly activation: Activation;
}

export function conv2dAttrs(node: GraphNode, where = describeNode(node)): Conv2dAttrs {
  const reader = new AttrReader(node, `${where}.attrs`, [...WINDOW_ATTRS, 'activation']);
  return { ...readWindow(reader, 'ones'), activation: reader.activation() };
}

/** `y[n,o,·,·] = act(alpha[o]·scale[o]·Σ_{c,i,j} w[o,c,i,j]·x[n,c,·+i,·+j] + bias[o] + residual)`, zero padding. */
export const conv2d: OpDef = {
  type: 'conv2d',
  inputs: ['x'],
  fusedInputs: ['residual'],
  storable: true,

  normalize(node, tensors, where) {
    const attrs = conv2dAttrs(node, where);
    const [, , kernelH, kernelW] = checkLinearParams(node, tensors, where, 4);
    if (kernelH !== attrs.kernel[0] || kernelW !== attrs.kernel[1]) {
      throw new TwnFormatError('BAD_ATTRIBUTE', `kernel ${formatShape(attrs.kernel)} does not match the weight's [${kernelH}, ${kernelW}]`, {
        path: `${where}.attrs.kernel`,
      });
    }
    return { ...windowAttrs(attrs), activation: attrs.activation };
  },

  inferShapes([x, residual], node, graph, where) {
    const input = inputShapeOfRank(x, [4], 'conv2d', where);
    const [outChannels = 0, inChannels] = linearWeightShape(node, graph.tensors);
    if (input[1] !== inChannels) {
      throw shapeMismatch(`conv2d weight takes ${inChannels} input channels, input ${formatShape(input)} has ${input[1]}`, where);
    }
    const output = windowOutputShape(input, conv2dAttrs(node, where), outChannels, 'conv2d', where);
    checkResidualShape(residual, output, 'conv2d', where);
    return [output];
  },

  reference(inputs, node, graph) {
    const x = inputAt(inputs, 0, 'conv2d');
    const residual = inputs[1];
    const attrs = conv2dAttrs(node);
    const layer = loadLinearLayer(node, graph.tensors);
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const y = zerosLike(windowOutputShape(x.shape, attrs, layer.outChannels, 'conv2d', describeNode(node)));
    const [, outChannels, outHeight, outWidth] = y.shape as [number, number, number, number];
    const taps = attrs.kernel[0] * attrs.kernel[1];
    // One im2col row per output cell: the weight row index (c·kh + i)·kw + j is exactly c·taps + tap.
    const patch = new Float64Array(channels * taps);
    for (let n = 0; n < batch; n++) {
      for (let outY = 0; outY < outHeight; outY++) {
        for (let outX = 0; outX < outWidth; outX++) {
          patch.fill(0);
          for (let c = 0; c < channels; c++) {
            const plane = planeOffset(n, c, channels, height * width);
            forEachTapInside(attrs, height, width, outY, outX, (tap, inY, inX) => {
              patch[c * taps + tap] = x.data[plane + inY * width + inX]!;
            });
          }
          for (let o = 0; o < outChannels; o++) {
            const index = planeOffset(n, o, outChannels, outHeight * outWidth) + outY * outWidth + outX;
            y.data[index] = layer.finish(o, layer.accumulate(o, patch), residual?.data[index] ?? 0, attrs.activation);
          }
        }
      }
    }
    return [y];
  },
};
