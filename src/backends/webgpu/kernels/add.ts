import { addAttrs } from '../../../ops/add.js';
import type { KernelModule } from '../kernel.js';
import { addPlan } from './elementwise.js';

export const addKernel: KernelModule = {
  op: 'add',
  plan: (context) => addPlan(context, addAttrs(context.node).activation),
};
