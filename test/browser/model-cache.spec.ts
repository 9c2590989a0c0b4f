import { join } from 'node:path';
import { expect, test, type Route } from '@playwright/test';
import { buildLeNet5 } from '../../src/models/index.js';

const REPO = join(import.meta.dirname, '..', '..');
const MODEL_URL = '/cache-test/lenet5.twn';

/** Two versions of one model file, told apart by their weights (and so their logits). */
const versions = { '"v1"': buildLeNet5({ seed: 1 }), '"v2"': buildLeNet5({ seed: 2 }) };

interface Served {
  status: number;
  ifNoneMatch: string | undefined;
}

test('the persistent cache: no request with reuse, a 304 when unchanged, a changed file downloaded again', async ({
  page,
}) => {
  let current: keyof typeof versions = '"v1"';
  const served: Served[] = [];
  await page.route(`**${MODEL_URL}`, async (route: Route) => {
    const ifNoneMatch = route.request().headers()['if-none-match'];
    const status = ifNoneMatch === current ? 304 : 200;
    served.push({ status, ifNoneMatch });
    if (status === 304) return route.fulfill({ status, headers: { etag: current } });
    return route.fulfill({
      status,
      headers: { etag: current, 'content-type': 'application/octet-stream' },
      body: Buffer.from(versions[current]),
    });
  });
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');

  /** Loads the model in the page (CPU backend) and returns its logits for an all-0.5 image. */
  const load = (mode: 'revalidate' | 'reuse') =>
    page.evaluate(
      async ({ entry, url, mode }) => {
        const twn = (await import(entry)) as typeof import('../../src/index.js');
        const model = await twn.loadModel(url, { backend: 'cpu', cpuWorker: false, persistentCache: mode });
        const logits = await model.run(new Float32Array(28 * 28).fill(0.5));
        model.dispose();
        return Array.from(logits);
      },
      { entry: `/@fs${REPO}/src/index.ts`, url: MODEL_URL, mode },
    );
  const clear = () =>
    page.evaluate(
      async (entry) => ((await import(entry)) as typeof import('../../src/index.js')).clearModelCache(),
      `/@fs${REPO}/src/index.ts`,
    );

  await clear();
  const first = await load('revalidate');
  expect(served).toEqual([{ status: 200, ifNoneMatch: undefined }]);

  // Stored: 'reuse' asks nothing at all; 'revalidate' asks and gets an empty 304.
  expect(await load('reuse')).toEqual(first);
  expect(served).toHaveLength(1);
  expect(await load('revalidate')).toEqual(first);
  expect(served.slice(1)).toEqual([{ status: 304, ifNoneMatch: '"v1"' }]);

  // The file changes on the server: the next revalidating load downloads it, and the stored copy is the new one.
  current = '"v2"';
  const changed = await load('revalidate');
  expect(served.slice(2)).toEqual([{ status: 200, ifNoneMatch: '"v1"' }]);
  expect(changed).not.toEqual(first);
  expect(await load('reuse')).toEqual(changed);
  expect(served).toHaveLength(3);

  // Cleared: the next load downloads again, unconditionally.
  expect(await clear()).toBe(true);
  expect(await load('reuse')).toEqual(changed);
  expect(served.slice(3)).toEqual([{ status: 200, ifNoneMatch: undefined }]);

  // A damaged stored copy fails validation (CRC-32): it is dropped and the file downloaded afresh.
  await page.evaluate(async (url) => {
    const cache = await caches.open('twn-webgpu-models');
    const key = new URL(url, location.href).href;
    const bytes = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
    bytes[bytes.length - 1]! ^= 0xff;
    await cache.put(key, new Response(bytes, { headers: { etag: '"v2"' } }));
  }, MODEL_URL);
  expect(await load('reuse')).toEqual(changed);
  expect(served.slice(4)).toEqual([{ status: 200, ifNoneMatch: undefined }]);
});
