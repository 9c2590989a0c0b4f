import { describe, expect, it } from 'vitest';
import { BatchCache } from '../../src/plan/batch-cache.js';

describe('BatchCache', () => {
  function recordingCache(capacity: number) {
    const released: string[] = [];
    const cache = new BatchCache<string>((value) => released.push(value), capacity);
    const get = (batch: number) => cache.get(batch, () => `plan ${batch}`);
    return { cache, released, get };
  }

  it('evicts the least recently used batch size, releasing it once', () => {
    const { cache, released, get } = recordingCache(2);
    get(1);
    get(2);
    get(1); // 1 is now newer than 2
    get(3);
    expect(released).toEqual(['plan 2']);
    expect(cache.batches()).toEqual([1, 3]);
    get(4);
    expect(released).toEqual(['plan 2', 'plan 1']);
    expect(cache.batches()).toEqual([3, 4]);
  });

  it('creates an entry once and returns the same one while it is cached', () => {
    let created = 0;
    const cache = new BatchCache<object>(undefined, 3);
    const make = () => ({ id: ++created });
    const first = cache.get(8, make);
    expect(cache.get(8, make)).toBe(first);
    expect(created).toBe(1);
  });

  it('forget drops an entry without releasing it, and only the entry given', () => {
    const { cache, released, get } = recordingCache(3);
    get(1);
    cache.forget(1, 'some other value');
    expect(cache.batches()).toEqual([1]);
    cache.forget(1, 'plan 1');
    expect(cache.size).toBe(0);
    expect(released).toEqual([]);
  });

  it('clear releases everything', () => {
    const { cache, released, get } = recordingCache(3);
    get(5);
    get(6);
    cache.clear();
    expect(released).toEqual(['plan 5', 'plan 6']);
    expect(cache.size).toBe(0);
  });
});
