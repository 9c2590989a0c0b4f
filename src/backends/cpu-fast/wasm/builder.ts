/**
 * What every kernel builder shares: locals, descriptor fields, loops, and the task function signature
 * `(threadScratch, descriptor, a, b, c, d, e)` (kernels.ts).
 */
import { F32, I32, op, V128, type Code, type FunctionSpec, type ValueType } from './encode.js';

const { localGet: get, localSet: set } = op;

/** Locals after the parameters, allocated as a kernel is written. */
export class Locals {
  readonly types: ValueType[] = [];
  constructor(private readonly params: number) {}
  private add(type: ValueType): number {
    this.types.push(type);
    return this.params + this.types.length - 1;
  }
  i32 = () => this.add(I32);
  f32 = () => this.add(F32);
  v128 = () => this.add(V128);
}

/** Field `field` of the descriptor in local `descriptor`. */
export const field = (descriptor: number, index: number): Code => [get(descriptor), op.i32Load(4 * index)];
/** `while (condition) body`, as a guarded do-while (one branch per iteration). */
export const whileLoop = (condition: Code, ...body: Code[]): Code =>
  op.block(condition, op.i32Eqz, op.brIf(0), op.loop(body, condition, op.brIf(0)));
export const increment = (local: number, by: Code): Code => [get(local), by, op.i32Add, set(local)];
export const lessThan = (a: number, b: number): Code => [get(a), get(b), op.i32LtS];

const TASK_PARAMS = 7;
export const [SCRATCH, DESC, A, B, C, D, E] = [0, 1, 2, 3, 4, 5, 6];

export function taskFunction(name: string, build: (locals: Locals) => Code): FunctionSpec {
  const locals = new Locals(TASK_PARAMS);
  const body = build(locals);
  return { name, params: new Array<ValueType>(TASK_PARAMS).fill(I32), locals: locals.types, body };
}
