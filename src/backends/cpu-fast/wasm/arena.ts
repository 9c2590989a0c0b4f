import type { ScratchSpace } from '../scratch.js';
import { FLOAT_TILE_MODULE, type FloatTileFunction } from './float-tile.js';
import { TERNARY_TILE_MODULE, type TernaryTileFunction } from './ternary-tile.js';

const PAGE_BYTES = 65_536;
/** v128 loads of tile rows stay 16-byte aligned when every region starts on a 16-byte boundary. */
const ALIGNMENT = 16;

const aligned = (bytes: number): number => Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;

/**
 * The WebAssembly kernels with their memory, one per FastCpuExecutor: index lists and float weights at the bottom, the per-run
 * scratch above them. Growing a memory detaches every view of it, so nothing keeps views: index lists are kept as
 * addresses, and the scratch view is made again whenever the buffer has changed.
 */
export class WasmArena implements ScratchSpace {
  private top = 0;
  private scratchView: Float32Array | undefined;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    readonly ternaryTile: TernaryTileFunction,
    readonly floatTile: FloatTileFunction,
  ) {}

  /** undefined where the kernels cannot run: no WebAssembly or no SIMD, or a page policy that forbids compiling. */
  static create(): WasmArena | undefined {
    try {
      if (typeof WebAssembly !== 'object' || !WebAssembly.validate(TERNARY_TILE_MODULE)) return undefined;
      const memory = new WebAssembly.Memory({ initial: 1 });
      // Synchronous compilation, which browsers allow on the page's own thread for modules this small (< 4 KiB).
      const exports = (module: Uint8Array<ArrayBuffer>) => new WebAssembly.Instance(new WebAssembly.Module(module), { env: { memory } }).exports;
      const ternaryTile = exports(TERNARY_TILE_MODULE).tile as TernaryTileFunction;
      const floatTile = exports(FLOAT_TILE_MODULE).floatTile as FloatTileFunction;
      return new WasmArena(memory, ternaryTile, floatTile);
    } catch {
      // A Content-Security-Policy without 'wasm-unsafe-eval' lands here: the JavaScript kernels run instead.
      return undefined;
    }
  }

  /** True when the kernels can address `view`: it lies in this arena's memory as it is now. */
  owns(view: ArrayBufferView): boolean {
    return view.buffer === this.memory.buffer;
  }

  /**
   * Copies `values` into the arena for good; its byte address, or undefined when the memory cannot grow that far.
   * Only while compiling or binding: growing the memory detaches every view, including those a run is using.
   */
  store(values: Int32Array | Float32Array): number | undefined {
    const address = this.top;
    if (!this.reserve(address + values.byteLength)) return undefined;
    new Uint8Array(this.memory.buffer, address, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.top = aligned(address + values.byteLength);
    this.scratchView = undefined;
    return address;
  }

  /** Scratch inside the memory; on the JavaScript heap when the memory cannot grow (the kernels then decline it). */
  scratch(floats: number): Float32Array {
    const current = this.scratchView;
    if (current !== undefined && current.buffer === this.memory.buffer && current.length >= floats) return current;
    if (!this.reserve(this.top + 4 * floats)) return new Float32Array(floats);
    this.scratchView = new Float32Array(this.memory.buffer, this.top, floats);
    return this.scratchView;
  }

  private reserve(bytes: number): boolean {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing <= 0) return true;
    try {
      this.memory.grow(Math.ceil(missing / PAGE_BYTES));
      return true;
    } catch {
      return false; // RangeError: beyond the engine's limit for one memory (4 GiB, or less)
    }
  }
}
