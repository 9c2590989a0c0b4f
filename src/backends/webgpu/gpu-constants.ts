// The WebGPU flag values, fixed by the specification. Spelled out here because Node (Dawn) does not install the
// GPUBufferUsage/GPUMapMode globals, and a caller-supplied device may come from an environment without them.
export const BUFFER_USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MAP_MODE_READ = 0x0001;
export const SHADER_STAGE_COMPUTE = 0x4;
