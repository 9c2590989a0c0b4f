/** Runs an op case through its FastCpuExecutor kernel and holds it against the float64 reference. */
import { getFastOp } from '../../src/backends/cpu-fast/ops.js';
import { getOp } from '../../src/ops/registry.js';
import { elementCount } from '../../src/ops/tensor.js';
import type { OpCase, OpCaseSpec } from './cases.js';
import { checkAgainstReference, type CaseResult } from './compare.js';

/** One node through its fast kernel, on separate buffers (so flatten copies), with a scratch of exactly the size asked. */
export function runOnFastCpu({ graph, node, inputs }: OpCase): Float32Array {
  const inputShapes = inputs.map((input) => input.shape);
  const outputShapes = getOp(node.op)!.inferShapes(inputShapes, node, graph, 'case');
  const fastOp = getFastOp(node.op);
  if (fastOp === undefined) throw new Error(`no fast kernel for ${node.op}`);
  const bound = fastOp(node, graph)({ node, inputShapes, outputShapes });
  const output = new Float32Array(elementCount(outputShapes[0]!));
  bound.run({
    inputs: inputs.map((input) => Float32Array.from(input.data)),
    output,
    scratch: new Float32Array(bound.scratchSize),
  });
  return output;
}

export function checkFastCpuCase(spec: OpCaseSpec): CaseResult {
  const opCase = spec.build();
  return checkAgainstReference(opCase, runOnFastCpu(opCase));
}
