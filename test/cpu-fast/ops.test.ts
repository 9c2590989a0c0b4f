import { describe, it } from 'vitest';
import { getFastOp } from '../../src/backends/cpu-fast/ops.js';
import { getOp } from '../../src/ops/registry.js';
import { elementCount } from '../../src/ops/tensor.js';
import { expectCloseToReference } from './compare.js';
import { OP_CASES, type OpCase } from './op-cases.js';

const OP_TOLERANCE = 1e-4;

/** One node through its fast kernel, on separate buffers (so flatten copies), with a scratch of exactly the size asked. */
function runFast({ graph, node, inputs }: OpCase): Float32Array {
  const inputShapes = inputs.map((input) => input.shape);
  const outputShapes = getOp(node.op)!.inferShapes(inputShapes, node, graph, 'case');
  const bound = getFastOp(node.op)!(node, graph)({ node, inputShapes, outputShapes });
  const output = new Float32Array(elementCount(outputShapes[0]!));
  bound.run({
    inputs: inputs.map((input) => Float32Array.from(input.data)),
    output,
    scratch: new Float32Array(bound.scratchSize),
  });
  return output;
}

describe('fast CPU kernels match the float64 reference', () => {
  it.each(OP_CASES.map((opCase) => [opCase.name, opCase] as const))('%s', (_name, opCase) => {
    const [expected] = getOp(opCase.node.op)!.reference(opCase.inputs, opCase.node, opCase.graph);
    expectCloseToReference(runFast(opCase), expected!.data, OP_TOLERANCE);
  });
});
