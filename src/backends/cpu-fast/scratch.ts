/**
 * Per-run working memory of the CPU backend (im2col tiles, transposed batches, kernel sums), shared by every step of
 * every plan of one executor: runs are synchronous, so one step at a time uses it.
 */
export interface ScratchSpace {
  /** At least `floats` floats; contents are not kept from one call to the next. */
  scratch(floats: number): Float32Array;
}

/** Scratch on the JavaScript heap, for the JavaScript kernels. */
export class HeapScratch implements ScratchSpace {
  private buffer = new Float32Array(0);

  scratch(floats: number): Float32Array {
    if (this.buffer.length < floats) this.buffer = new Float32Array(floats);
    return this.buffer;
  }
}
