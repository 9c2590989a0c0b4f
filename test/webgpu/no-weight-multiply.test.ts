import { describe, expect, it } from 'vitest';
import { FLOAT_CONV_SHADER, TERNARY_CONV_SHADER } from '../../src/backends/webgpu/shaders.js';
import { findWeightMultiplications, parseWgsl } from './wgsl-weight-taint.js';

const WEIGHTS = ['weights'];
const GOOD_DECODE = `let code = (words[ch] >> shift) & 3u;
    if (code == 1u) {
      acc[ch] += xs;
    } else if (code == 2u) {
      acc[ch] -= xs;
    }`;

/** The real ternary kernel with its add/subtract decode replaced by a variant that sneaks in a multiplication. */
function ternaryShaderWith(decode: string, extraFunctions = ''): string {
  expect(TERNARY_CONV_SHADER.code).toContain(GOOD_DECODE);
  return TERNARY_CONV_SHADER.code.replace(GOOD_DECODE, decode) + extraFunctions;
}

const SNEAKY_DECODES: Record<string, [decode: string, extraFunctions?: string]> = {
  'decoded sign times input': [
    `let code = (words[ch] >> shift) & 3u;
    let sign = f32(code == 1u) - f32(code == 2u);
    acc[ch] += sign * xs;`,
  ],
  'sign built by branches, then multiplied': [
    `let code = (words[ch] >> shift) & 3u;
    var sign = 0.0;
    if (code == 1u) { sign = 1.0; } else if (code == 2u) { sign = -1.0; }
    acc[ch] += xs * sign;`,
  ],
  'sign accumulated by constant steps': [
    `let code = (words[ch] >> shift) & 3u;
    var sign = 0.0;
    if (code == 1u) { sign += 1.0; }
    if (code == 2u) { sign -= 1.0; }
    acc[ch] += xs * sign;`,
  ],
  'compound *= with a select': [
    `let code = (words[ch] >> shift) & 3u;
    var term = xs;
    term *= select(select(0.0, -1.0, code == 2u), 1.0, code == 1u);
    acc[ch] += term;`,
  ],
  'fma builtin': [
    `let code = (words[ch] >> shift) & 3u;
    let sign = f32(i32(code & 1u) - i32(code >> 1u));
    acc[ch] = fma(vec4f(sign), xs, acc[ch]);`,
  ],
  'lookup table indexed by the code': [
    `let code = (words[ch] >> shift) & 3u;
    var table = array<f32, 3>(0.0, 1.0, -1.0);
    acc[ch] += table[code] * xs;`,
  ],
  'helper function returning the sign': [
    `acc[ch] += signAt(words[ch], shift) * xs;`,
    `
fn signAt(word: u32, shift: u32) -> f32 {
  let code = (word >> shift) & 3u;
  if (code == 1u) { return 1.0; }
  if (code == 2u) { return -1.0; }
  return 0.0;
}`,
  ],
};

describe('ternary kernels never multiply by a weight (WGSL taint analysis)', () => {
  it('the ternary conv2d/dense shader has no multiplication derived from the weight codes', () => {
    expect(findWeightMultiplications(TERNARY_CONV_SHADER.code, WEIGHTS)).toEqual([]);
  });

  it('the analysis does see the multiplications the shader legitimately has (index math, the epilogue)', () => {
    const shader = parseWgsl(TERNARY_CONV_SHADER.code);
    expect(shader.functions.map((f) => f.name).sort()).toEqual(['accumulateColumn', 'flatInvocation', 'flatWorkgroup', 'loadWeightWord', 'main']);
    // Tainting the epilogue buffer instead must flag the one multiply per output by the effective scale.
    expect(findWeightMultiplications(TERNARY_CONV_SHADER.code, ['epilogue']).length).toBeGreaterThan(0);
  });

  it('flags the float kernel, which multiplies by its weights', () => {
    const lines = FLOAT_CONV_SHADER.code.split('\n');
    const flagged = findWeightMultiplications(FLOAT_CONV_SHADER.code, WEIGHTS).map((v) => lines[v.line - 1]!.trim());
    expect(flagged).toContain('acc[ch] += weights[rows[ch] * K + column + bit] * xs;');
    // The index arithmetic stays clean: only the weight product and the epilogue that consumes it are flagged.
    expect(new Set(flagged)).toEqual(new Set(['acc[ch] += weights[rows[ch] * K + column + bit] * xs;', 'var value = acc[ch][p] * multiplier + bias;']));
  });

  it.each(Object.entries(SNEAKY_DECODES))('catches a deliberately bad decode step: %s', (_name, [decode, extra]) => {
    expect(findWeightMultiplications(ternaryShaderWith(decode, extra), WEIGHTS)).not.toEqual([]);
  });

  it('fails closed on code it cannot analyse', () => {
    expect(() => findWeightMultiplications(ternaryShaderWith('switch (words[ch]) { default: {} }'), WEIGHTS)).toThrow(/switch/);
  });
});
