import { TwnFormatError } from '../errors.js';
import { member } from '../format/header-schema.js';
import type { Activation, AttrValue, GraphNode } from '../graph/ir.js';

export type IntPair = readonly [number, number];

const ACTIVATIONS: readonly Activation[] = ['none', 'relu'];

/**
 * Reads one node's attributes. Unknown attributes are rejected up front (a misspelt one must not be ignored);
 * every failure is BAD_ATTRIBUTE at the attribute's JSON path. Defaults go through the same range checks as
 * explicit values, so a normalized node always normalizes again to itself.
 */
export class AttrReader {
  constructor(
    private readonly node: GraphNode,
    private readonly base: string,
    known: readonly string[],
  ) {
    for (const name of Object.keys(node.attrs)) {
      if (!known.includes(name)) {
        const expected = known.length > 0 ? known.join(', ') : 'none';
        throw this.fail(name, `unknown attribute "${name}" for ${node.op} (it takes: ${expected})`);
      }
    }
  }

  intPair(name: string, range: { min: number; max: number | IntPair }, fallback?: IntPair): IntPair {
    const value = this.valueOr(name, fallback);
    if (!Array.isArray(value) || value.length !== 2 || !value.every((v: unknown) => Number.isInteger(v))) {
      throw this.fail(name, `${this.node.op} attribute "${name}" must be a pair of integers, got ${JSON.stringify(value)}`);
    }
    const pair = [value[0] as number, value[1] as number] as const;
    pair.forEach((v, axis) => {
      const max = typeof range.max === 'number' ? range.max : range.max[axis]!;
      if (v < range.min || v > max) {
        throw this.fail(name, `${this.node.op} attribute "${name}"[${axis}] = ${v} is outside ${range.min}…${max}`);
      }
    });
    return pair;
  }

  activation(): Activation {
    const value = this.valueOr('activation', 'none');
    const match = ACTIVATIONS.find((a) => a === value);
    if (match === undefined) {
      throw this.fail('activation', `activation must be one of ${ACTIVATIONS.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`);
    }
    return match;
  }

  positiveNumber(name: string, fallback: number): number {
    const value = this.valueOr(name, fallback);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw this.fail(name, `${this.node.op} attribute "${name}" must be a finite number > 0, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  numberList(name: string, length: number, check: { positive: boolean }): readonly number[] {
    const value = this.valueOr(name);
    if (!Array.isArray(value) || value.length !== length) {
      throw this.fail(name, `${this.node.op} attribute "${name}" must list ${length} numbers, got ${JSON.stringify(value)}`);
    }
    const numbers: number[] = [];
    for (const v of value as readonly unknown[]) {
      if (typeof v !== 'number' || !Number.isFinite(v) || (check.positive && v <= 0)) {
        const rule = check.positive ? 'finite and > 0' : 'finite';
        throw this.fail(name, `${this.node.op} attribute "${name}" entries must be ${rule}, got ${JSON.stringify(v)}`);
      }
      numbers.push(v);
    }
    return numbers;
  }

  private valueOr(name: string, fallback?: AttrValue): AttrValue {
    const value = Object.hasOwn(this.node.attrs, name) ? this.node.attrs[name] : fallback;
    if (value === undefined) throw this.fail(name, `${this.node.op} requires attribute "${name}"`);
    return value;
  }

  private fail(name: string, message: string): TwnFormatError {
    return new TwnFormatError('BAD_ATTRIBUTE', message, { path: `${this.base}${member(name)}` });
  }
}

/** For ops that take no attributes: any attribute is BAD_ATTRIBUTE. */
export function rejectAttrs(node: GraphNode, where: string): void {
  new AttrReader(node, `${where}.attrs`, []);
}
