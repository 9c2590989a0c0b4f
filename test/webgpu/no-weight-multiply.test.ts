import { describe, expect, it } from 'vitest';
import { CONV_VARIANTS, GEMV_SLICE_COUNTS } from '../../src/backends/webgpu/kernel-policy.js';
import { convShader, denseShader } from '../../src/backends/webgpu/shaders.js';
import type { ShaderSource } from '../../src/backends/webgpu/kernel.js';
import { findWeightMultiplications, parseWgsl } from './wgsl-weight-taint.js';

const WEIGHTS = ['weights'];
const ACTIVATIONS = ['input', 'residual'];
const TERNARY_SHADERS: readonly ShaderSource[] = [
  ...CONV_VARIANTS.map((variant) => convShader('ternary', variant)),
  ...GEMV_SLICE_COUNTS.map((slices) => denseShader('ternary', slices)),
];
const FLOAT_SHADERS: readonly ShaderSource[] = [
  ...CONV_VARIANTS.map((variant) => convShader('float', variant)),
  ...GEMV_SLICE_COUNTS.map((slices) => denseShader('float', slices)),
];
// The one place every ternary kernel applies a weight (shaders/ternary-masks.wgsl).
const GOOD_APPLY = 'return bitcast<vec4f>((bitcast<vec4u>(x) ^ negate) & keep);';

const violations = (code: string) => findWeightMultiplications(code, WEIGHTS, ACTIVATIONS);

/** A real ternary kernel with its masked add replaced by a variant that sneaks in a multiplication. */
function ternaryShaderWith(shader: ShaderSource, apply: string, extraFunctions = ''): string {
  expect(shader.code).toContain(GOOD_APPLY);
  return shader.code.replace(GOOD_APPLY, apply) + extraFunctions;
}

const SNEAKY_APPLIES: Record<string, [apply: string, extraFunctions?: string]> = {
  'decoded sign times input': [
    'let sign = vec4f(1.0) - 2.0 * vec4f(negate >> vec4u(31u));\n  return sign * x * vec4f(keep & vec4u(1u));',
  ],
  'the masks applied to the constant 1, then multiplied': [
    'return bitcast<vec4f>((bitcast<vec4u>(vec4f(1.0)) ^ negate) & keep) * x;',
  ],
  'sign chosen by select': [
    'return select(vec4f(0.0), select(vec4f(1.0), vec4f(-1.0), negate != vec4u(0u)), keep != vec4u(0u)) * x;',
  ],
  'sign built by a branch': ['var sign = vec4f(0.0);\n  if (keep.x != 0u) { sign.x = 1.0; }\n  return sign * x;'],
  'compound *= with the masked constant': [
    'var term = x;\n  term *= bitcast<vec4f>((bitcast<vec4u>(vec4f(1.0)) ^ negate) & keep);\n  return term;',
  ],
  'fma builtin': ['return fma(bitcast<vec4f>((bitcast<vec4u>(vec4f(1.0)) ^ negate) & keep), x, vec4f(0.0));'],
  'lookup table indexed by the code': [
    'var table = array<f32, 3>(0.0, -1.0, 1.0);\n  return table[negate.x >> 31u] * x;',
  ],
  'helper function returning the sign': [
    'return signOf(negate, keep) * x;',
    `
fn signOf(negate: vec4<u32>, keep: vec4<u32>) -> vec4<f32> {
  if (keep.x == 0u) { return vec4f(0.0); }
  if (negate.x != 0u) { return vec4f(-1.0); }
  return vec4f(1.0);
}`,
  ],
};

describe('ternary kernels never multiply by a weight (WGSL taint analysis)', () => {
  const ternaryCases = TERNARY_SHADERS.map((shader) => [shader.key, shader] as const);
  it.each(ternaryCases)('%s has no multiplication derived from the weights', (_key, shader) => {
    expect(violations(shader.code)).toEqual([]);
  });

  it('the analysis does see the multiplications the shaders legitimately have (index math, the epilogue)', () => {
    for (const shader of TERNARY_SHADERS) {
      const functions = parseWgsl(shader.code).functions.map((f) => f.name);
      expect(functions).toEqual(expect.arrayContaining(['applyWeights', 'main', 'storeOutput']));
      // Tainting the epilogue buffer instead must flag the one multiply per output by the effective scale.
      expect(findWeightMultiplications(shader.code, ['epilogue'], ACTIVATIONS).length).toBeGreaterThan(0);
    }
  });

  it('without the activation buffers named, masked inputs count as weights (the exemption is not blanket)', () => {
    for (const shader of TERNARY_SHADERS) expect(findWeightMultiplications(shader.code, WEIGHTS)).not.toEqual([]);
  });

  it('flags the float kernels, which multiply by their weights', () => {
    // The weight product (unrolled: once per register of the tile) and the epilogue that consumes it.
    const product = /^acc\[.*\] \+= w(\[\w+\])? \* xs\[\w+\];$/;
    const epilogue = 'var value = sum * epilogue[o] + epilogue[shape.O + o];';
    for (const shader of FLOAT_SHADERS) {
      const lines = shader.code.split('\n');
      const flagged = violations(shader.code).map((v) => lines[v.line - 1]!.trim());
      expect(flagged.filter((line) => product.test(line)).length).toBeGreaterThan(0);
      expect(flagged).toContain(epilogue);
      // The index arithmetic stays clean: nothing else is flagged.
      expect(flagged.filter((line) => !product.test(line) && line !== epilogue)).toEqual([]);
    }
  });

  it.each(Object.entries(SNEAKY_APPLIES))('catches a deliberately bad application: %s', (_name, [apply, more]) => {
    for (const shader of TERNARY_SHADERS) expect(violations(ternaryShaderWith(shader, apply, more))).not.toEqual([]);
  });

  it('fails closed on code it cannot analyse', () => {
    const unparsable = ternaryShaderWith(denseShader('ternary', 16), 'switch (keep.x) { default: {} }\n  return x;');
    expect(() => violations(unparsable)).toThrow(/switch/);
  });
});
