/**
 * Other ways an exporter writes the same network: the shipped LeNet-5 twin rewritten into an equivalent form
 * (onnx-edits.ts) converts to the same logits as the shipped .twn file (its `-reference.json`, float64).
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { convertOnnx } from '../../src/convert/index.js';
import { loadReferenceRun, SHIPPED_MODELS } from '../trained/shipped-models.js';
import { singleOutput } from '../trained/logits.js';
import {
  editedLeNet,
  floatTensor,
  floatValues,
  initializerNamed,
  node,
  nodeNamed,
  type ModelMessage,
} from './onnx-edits.js';

const lenet = SHIPPED_MODELS.find((model) => model.file === 'lenet5-twn.twn')!;
const IMAGES = 2;
const FC2 = '/model/body/fc2/Gemm';
const FC2_INPUT = '/model/body/fc1/Relu_output_0';

function expectShippedLogits(bytes: Uint8Array): ReturnType<typeof convertOnnx> {
  const conversion = convertOnnx(bytes);
  const run = loadReferenceRun(lenet);
  const images = run.images.slice(0, IMAGES);
  const logits = singleOutput(
    conversion.graph,
    new CpuExecutor().run(conversion.graph, Float64Array.from(images.flat()), IMAGES),
  );
  const expected = run.logits.slice(0, IMAGES).flat();
  expect(Math.max(...expected.map((value, i) => Math.abs(logits[i]! - value)))).toBeLessThanOrEqual(1e-5);
  return conversion;
}

/** Replaces the node named `name` by `nodes`, in place. */
function replaceNode(model: ModelMessage, name: string, ...nodes: ReturnType<typeof node>[]): void {
  model.graph.node.splice(model.graph.node.indexOf(nodeNamed(model, name)), 1, ...nodes);
}

describe('equivalent ONNX forms of LeNet-5 convert to the shipped logits', () => {
  it('normalisation as x·(1/std) + (−mean/std) (Mul, Add) instead of (x − mean)/std', () => {
    const bytes = editedLeNet((model) => {
      const mean = floatValues(initializerNamed(model, 'model.normalize.mean'))[0]!;
      const std = floatValues(initializerNamed(model, 'model.normalize.std'))[0]!;
      model.graph.initializer.push(
        floatTensor('inverse_std', [], [1 / std]),
        floatTensor('shift', [1, 1, 1, 1], [-mean / std]),
      );
      replaceNode(model, '/model/normalize/Sub', node('scale', 'Mul', ['inverse_std', 'image'], ['scaled']));
      replaceNode(
        model,
        '/model/normalize/Div',
        node('shift', 'Add', ['scaled', 'shift'], ['/model/normalize/Div_output_0']),
      );
      model.graph.initializer = model.graph.initializer.filter((tensor) => !tensor.name.startsWith('model.normalize'));
    });
    const { graph } = expectShippedLogits(bytes);
    expect(graph.input.mean[0]).toBeCloseTo(0.1307, 6);
    expect(graph.input.std[0]).toBeCloseTo(0.3081, 6);
  });

  it('the last layer as MatMul by Wᵀ then Add of the bias (folded into the dense layer), not Gemm', () => {
    const bytes = editedLeNet((model) => {
      const weight = floatValues(initializerNamed(model, 'model.body.fc2.weight'));
      const transposed = Float32Array.from(
        { length: weight.length },
        (_, i) => weight[(i % 10) * 512 + Math.floor(i / 10)]!,
      );
      model.graph.initializer.push(floatTensor('fc2.weight_t', [512, 10], transposed));
      replaceNode(
        model,
        FC2,
        node('fc2.matmul', 'MatMul', [FC2_INPUT, 'fc2.weight_t'], ['fc2.product']),
        node('fc2.bias', 'Add', ['fc2.product', 'model.body.fc2.bias'], ['logits']),
      );
    });
    const { graph, report } = expectShippedLogits(bytes);
    expect(report.layers.at(-1)).toMatchObject({ node: 'fc2.matmul', weight: 'ternary' });
    expect(graph.outputs).toEqual(['logits']);
    expect(graph.nodes.find((n) => n.name === 'fc2.matmul')!.params.bias).toBeDefined();
  });

  it('a weight given through Identity and a Mul by a Constant, undone by Gemm alpha (constant folding)', () => {
    const bytes = editedLeNet((model) => {
      model.graph.node.unshift(
        node('two', 'Constant', [], ['two'], [{ name: 'value_float', type: 1, f: 2 }]),
        node('weight.identity', 'Identity', ['model.body.fc2.weight'], ['weight.copy']),
        node('weight.doubled', 'Mul', ['weight.copy', 'two'], ['weight.doubled']),
      );
      const gemm = nodeNamed(model, FC2);
      gemm.input[1] = 'weight.doubled';
      gemm.attribute.push({ name: 'alpha', type: 1, f: 0.5 });
    });
    expect(expectShippedLogits(bytes).report.layers.at(-1)).toMatchObject({ node: FC2, weight: 'ternary' });
  });
});
