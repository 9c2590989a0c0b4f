/**
 * What bench/cpu-ab.ts runs of a build of the fast CPU backend, bundled from this checkout and from a git ref's tree
 * alike (so only long-standing exports may appear here).
 */
export { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
export { readTwnFile } from '../src/format/reader.js';
export { graphFromFile } from '../src/graph/from-file.js';
export { optimize } from '../src/graph/passes/optimize.js';
export { planGraph } from '../src/plan/plan.js';
export { benchModelBytes } from './models.js';
