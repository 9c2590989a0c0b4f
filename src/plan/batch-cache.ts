/**
 * How many batch sizes an executor keeps buffers for. An app that runs batches of 1…64 would otherwise hold 64 sets
 * of activation buffers until the model is disposed; a few cover the usual pattern (single images plus one batch).
 */
export const BATCH_SIZES_KEPT = 4;

/** Per-batch-size resources, least recently used evicted first; `release` frees what an evicted entry held. */
export class BatchCache<T> {
  private readonly entries = new Map<number, T>();

  constructor(
    private readonly release: (value: T) => void = () => undefined,
    readonly capacity: number = BATCH_SIZES_KEPT,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `batch`, made by `create` when absent; either way it becomes the most recently used. */
  get(batch: number, create: () => T): T {
    let value = this.entries.get(batch);
    if (value === undefined) {
      value = create();
      this.evictDownTo(this.capacity - 1);
    } else {
      this.entries.delete(batch);
    }
    this.entries.set(batch, value);
    return value;
  }

  /** Forgets `batch` without releasing it (the entry failed to build, so there is nothing to free). */
  forget(batch: number, value: T): void {
    if (this.entries.get(batch) === value) this.entries.delete(batch);
  }

  batches(): number[] {
    return [...this.entries.keys()];
  }

  clear(): void {
    this.evictDownTo(0);
  }

  private evictDownTo(count: number): void {
    for (const [batch, value] of this.entries) {
      if (this.entries.size <= count) return;
      this.entries.delete(batch);
      this.release(value);
    }
  }
}
