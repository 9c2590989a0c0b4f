export { FastCpuExecutor, type CpuKernels, type FastCpuOptions, type FastTensor } from './executor.js';
