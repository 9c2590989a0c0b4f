import type { KernelModule } from '../kernel.js';
import { reluPlan } from './elementwise.js';

export const reluKernel: KernelModule = { op: 'relu', plan: reluPlan };
