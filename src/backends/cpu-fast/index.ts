export { FastCpuExecutor, threadsPayOff, type CpuKernels, type FastCpuOptions, type FastTensor, type ThreadInfo } from './executor.js';
export type { Precision } from './precision.js';
