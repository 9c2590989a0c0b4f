export { FastCpuExecutor, multiplyAddsPerImage, threadsPayOff, type FastTensor } from './executor.js';
export type { CpuKernels, FastCpuOptions, Precision, ThreadInfo } from './options.js';
