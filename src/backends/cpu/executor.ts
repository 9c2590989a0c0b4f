import { TwnInputError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import { optimize } from '../../graph/passes/optimize.js';
import type { RefTensor } from '../../ops/op.js';
import { getOp } from '../../ops/registry.js';
import { elementCount, formatShape } from '../../ops/tensor.js';
import { planGraph, type ExecutionPlan } from '../../plan/plan.js';

/**
 * Runs a graph through each op's float64 reference: the meaning of every op, and the fallback without WebGPU.
 * A Graph is optimized and planned for the batch on each call; pass an ExecutionPlan to run exactly that plan.
 */
export class CpuExecutor {
  run(model: Graph | ExecutionPlan, input: Float32Array | Float64Array, batch: number): Map<string, RefTensor> {
    if (!(input instanceof Float32Array || input instanceof Float64Array)) {
      throw new TwnInputError('INPUT_TYPE', 'input must be a Float32Array or Float64Array');
    }
    const plan = isPlan(model) ? model : planGraph(optimize(model), batch);
    if (plan.batch !== batch) {
      throw new TwnInputError('INPUT_SHAPE', `this plan is for batch ${plan.batch}, got batch ${batch}`);
    }
    const { graph } = plan;
    const inputShape = plan.shapes.get(graph.input.name)!;
    if (input.length !== elementCount(inputShape)) {
      throw new TwnInputError(
        'INPUT_SHAPE',
        `input ${formatShape(inputShape)} needs ${elementCount(inputShape)} values, got ${input.length}`,
      );
    }
    const values = new Map<string, RefTensor>([[graph.input.name, { shape: inputShape, data: Float64Array.from(input) }]]);
    for (const { node } of plan.steps) {
      const outputs = getOp(node.op)!.reference(node.inputs.map((value) => values.get(value)!), node, graph);
      node.outputs.forEach((value, i) => values.set(value, outputs[i]!));
    }
    return new Map(graph.outputs.map((value) => [value, values.get(value)!]));
  }
}

function isPlan(model: Graph | ExecutionPlan): model is ExecutionPlan {
  return 'steps' in model;
}
