/**
 * The CPU backend's option and report types, apart from its implementation: the package's public types (src/api,
 * src/index.ts) import them from here, so a user's type check never loads the WebAssembly arena's declarations (a
 * Node project without the DOM library has no WebAssembly namespace).
 */
import type { GraphNode } from '../../graph/ir.js';
import type { RunLimits } from '../../plan/plan.js';

/** What the ternary layers' activations are summed in: float32 values, or int16 codes (docs/FORMAT.md §7.1). */
export type Precision = 'float32' | 'int16';

/** Which inner loops the executor runs: WebAssembly SIMD where the engine has it, JavaScript otherwise. */
export type CpuKernels = 'wasm-simd' | 'js';

/**
 * A port to a helper thread the page started (the web's MessagePort has these members). Structural, so that the
 * package's types also check in Node, which has no DOM lib.
 */
export interface HelperPort {
  postMessage(message: unknown): void;
  close(): void;
}

export interface FastCpuOptions extends RunLimits {
  /** 'js' forces the JavaScript kernels (tests compare the two); default: WebAssembly SIMD where available. */
  readonly kernels?: CpuKernels;
  /**
   * Threads to split each layer over (default 1): helpers sharing the WebAssembly memory, which needs
   * SharedArrayBuffer (a cross-origin isolated page) and a thread that may block (a worker, or Node).
   */
  readonly threads?: number;
  /** Helper threads started already (browsers: by the page, see startHelperWorkers), a port to each. */
  readonly startedHelpers?: readonly HelperPort[];
  /**
   * 'int16': the ternary layers the graph's calibration gives a range (docs/FORMAT.md §7.1) sum int16 codes of their
   * inputs; WebAssembly SIMD only (`precision` says what runs). Default 'float32'.
   */
  readonly precision?: Precision;
  /** Called after every step with its time (bench/cpu-layers.ts); for measurement only. */
  readonly onStep?: (node: GraphNode, milliseconds: number) => void;
  /**
   * Called after each phase of a WebAssembly step (its tasks, run by every thread) with the phase's index within the
   * step, the task function's name (e.g. 'gather', 'ternaryConv') and its wall time: where a step's time goes
   * (bench/cpu-threads.ts). A measurement aid.
   */
  readonly onPhase?: (node: GraphNode, phase: number, task: string, milliseconds: number) => void;
}

export interface ThreadInfo {
  readonly threads: number;
  /** Why fewer threads run than were asked for. */
  readonly reason?: string;
}
