export { acquireDevice, summarizeAdapter, type AcquiredDevice, type AcquireOptions, type AdapterSummary } from './device.js';
export { compileWebGpu, type WebGpuModel } from './executor.js';
