import type { Activation } from '../graph/ir.js';

/** The one definition of ReLU the reference uses everywhere (relu op and every fused activation). */
export function relu(value: number): number {
  return value > 0 ? value : 0;
}

export function activate(value: number, activation: Activation): number {
  return activation === 'relu' ? relu(value) : value;
}
