/**
 * twn-webgpu: Ternary Weight Networks (Li et al. 2016) in the browser and Node, on WebGPU or the CPU.
 *
 *   const model = await loadModel('/models/lenet5-twn.twn');
 *   const [best] = await model.classify(canvas);
 */
export { loadModel, type LoadOptions } from './api/load.js';
export type { TwnModel, ClassifyOptions, OutputTensor } from './api/model.js';
export type { ModelSource } from './api/source.js';
export { DEFAULT_MAX_MODEL_BYTES } from './api/source.js';
export { clearModelCache, MODEL_CACHE_NAME, type PersistentCacheMode } from './api/model-cache.js';
export { preprocess, MAX_IMAGE_PIXELS } from './api/preprocess.js';
export type { ClassifyInput, DrawableImage, EncodedImage, ImageDataLike, ImageSpec } from './api/preprocess.js';
export type { ImageDecoder } from './api/decode.js';
export type { Prediction } from './api/classify.js';
export type { ModelInfo, LayerInfo, AlphaStats, ModelMetadata } from './api/info.js';
export type { BackendInfo, BackendKind, BackendRequest, AdapterDescription, ExecutionThread } from './api/backend.js';
export type { RunningBackend } from './api/info.js';
export type { CpuKernels, Precision } from './backends/cpu-fast/options.js';
export { TwnError, TwnFormatError, TwnInputError, TwnDeviceError, type FormatErrorCode } from './errors.js';
export { TwnAbortError } from './api/errors.js';
