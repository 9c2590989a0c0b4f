export { FastCpuExecutor, type FastTensor } from './executor.js';
