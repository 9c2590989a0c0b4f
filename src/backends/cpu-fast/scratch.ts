/**
 * Per-run working memory of the JavaScript kernels (im2col tiles, transposed batches), shared by every step of every
 * plan of one executor: runs are synchronous, so one step at a time uses it. Contents are not kept between calls.
 */
export class HeapScratch {
  private buffer = new Float32Array(0);

  /** At least `floats` floats. */
  scratch(floats: number): Float32Array {
    if (this.buffer.length < floats) this.buffer = new Float32Array(floats);
    return this.buffer;
  }
}
