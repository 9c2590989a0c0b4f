import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwnAbortError } from '../../src/api/errors.js';
import { readModelSource } from '../../src/api/source.js';
import { TwnError, TwnInputError } from '../../src/errors.js';

const payload = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251);

let server: Server;
let base: string;
let closedErrorResponses = 0;
let closedSilentRequests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/model.twn') {
      response.writeHead(200, { 'content-length': String(payload.length) });
      // Several writes, so the client sees several chunks and several progress calls.
      for (let offset = 0; offset < payload.length; offset += 16_384) response.write(payload.subarray(offset, offset + 16_384));
      response.end();
    } else if (request.url === '/stalled-error.twn') {
      // An error whose body never ends: unless the client cancels it, the connection stays busy for good.
      response.writeHead(503, { 'content-length': '100000' });
      response.write('temporarily unavailable'.padEnd(1000));
      response.on('close', () => closedErrorResponses++);
    } else if (request.url === '/no-headers.twn') {
      request.on('close', () => closedSilentRequests++);
    } else if (request.url === '/drip.twn') {
      // Steady but slow: 10 chunks 60 ms apart, longer in all than the idle timeout the test sets.
      response.writeHead(200, { 'content-length': String(10 * 1000) });
      let sent = 0;
      const timer = setInterval(() => {
        response.write(payload.subarray(sent * 1000, (sent + 1) * 1000));
        if (++sent === 10) {
          clearInterval(timer);
          response.end();
        }
      }, 60);
    } else if (request.url === '/slow.twn') {
      response.writeHead(200, { 'content-length': String(payload.length) });
      response.write(payload.subarray(0, 1000));
      // Never finishes: only an abort ends this download.
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('readModelSource', () => {
  it('takes an ArrayBuffer and a Uint8Array as they are', async () => {
    expect(await readModelSource(payload.slice().buffer)).toEqual(payload);
    expect(await readModelSource(payload)).toBe(payload);
  });

  it('reads a Response body as a stream, reporting progress up to Content-Length', async () => {
    const progress: [number, number | undefined][] = [];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < payload.length; offset += 30_000) controller.enqueue(payload.slice(offset, offset + 30_000));
        controller.close();
      },
    });
    const response = new Response(stream, { headers: { 'content-length': String(payload.length) } });
    const bytes = await readModelSource(response, { onProgress: (loaded, total) => progress.push([loaded, total]) });
    expect(bytes).toEqual(payload);
    expect(progress.map(([loaded]) => loaded)).toEqual([0, 30_000, 60_000, 90_000, 100_000]);
    expect(progress.every(([, total]) => total === payload.length)).toBe(true);
  });

  it('stops reading a body that runs past its Content-Length (FETCH_FAILED), even an endless one', async () => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(65_536));
      },
    });
    const response = new Response(endless, { headers: { 'content-length': '1000' } });
    await expect(readModelSource(response)).rejects.toThrow(expect.objectContaining({ code: 'FETCH_FAILED', message: expect.stringMatching(/Content-Length/) }));
    expect(pulls).toBeLessThan(5);
  });

  it('refuses a download over maxBytes (MODEL_TOO_LARGE): by Content-Length before reading, or mid-stream', async () => {
    let pulls = 0;
    const body = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls++;
          controller.enqueue(new Uint8Array(10_000));
        },
      });
    const declared = new Response(body(), { headers: { 'content-length': '50000' } });
    await expect(readModelSource(declared, { maxBytes: 40_000 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE', message: expect.stringMatching(/Content-Length of 50000/) });
    // Streams pull ahead, but nothing was consumed: the size was refused from the header alone.
    expect(pulls).toBeLessThanOrEqual(1);
    pulls = 0;
    await expect(readModelSource(new Response(body()), { maxBytes: 40_000 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(pulls).toBeLessThanOrEqual(6);
    expect(await readModelSource(`${base}/model.twn`, { maxBytes: payload.length })).toEqual(payload);
    await expect(readModelSource(`${base}/model.twn`, { maxBytes: payload.length - 1 })).rejects.toMatchObject({ name: 'TwnInputError', code: 'MODEL_TOO_LARGE' });
  });

  it('reports an unknown total when there is no Content-Length', async () => {
    const progress: (number | undefined)[] = [];
    await readModelSource(new Response(new Blob([payload]).stream()), { onProgress: (_, total) => progress.push(total) });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((total) => total === undefined)).toBe(true);
  });

  it('downloads a URL (string or URL) with monotone progress ending at the total', async () => {
    for (const source of [`${base}/model.twn`, new URL('/model.twn', base)]) {
      const loaded: number[] = [];
      const totals = new Set<number | undefined>();
      const bytes = await readModelSource(source, {
        onProgress: (count, total) => {
          loaded.push(count);
          totals.add(total);
        },
      });
      expect(bytes).toEqual(payload);
      expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
      expect(loaded.at(-1)).toBe(payload.length);
      expect([...totals]).toEqual([payload.length]);
    }
  });

  it('turns an HTTP error into TwnInputError FETCH_FAILED', async () => {
    await expect(readModelSource(`${base}/missing.twn`)).rejects.toMatchObject({ name: 'TwnInputError', code: 'FETCH_FAILED' });
  });

  it('cancels the body of an HTTP error, so that stalled error bodies do not hold their connections', async () => {
    for (let i = 0; i < 8; i++) {
      await expect(readModelSource(`${base}/stalled-error.twn`)).rejects.toMatchObject({
        name: 'TwnInputError',
        code: 'FETCH_FAILED',
        message: expect.stringMatching(/HTTP 503/),
      });
    }
    // The server sees every one of them closed by the client; unread, they would stay open until the body ended.
    await expect.poll(() => closedErrorResponses, { timeout: 5000 }).toBe(8);
    expect(await readModelSource(`${base}/model.twn`)).toEqual(payload);
  });

  it('fails a download idle for idleTimeoutMs with FETCH_TIMEOUT, and closes its connection', async () => {
    const started = performance.now();
    await expect(readModelSource(`${base}/slow.twn`, { idleTimeoutMs: 300 })).rejects.toMatchObject({
      name: 'TwnInputError',
      code: 'FETCH_TIMEOUT',
      message: expect.stringMatching(/slow\.twn: nothing received for 300 ms/),
    });
    const silent = readModelSource(`${base}/no-headers.twn`, { idleTimeoutMs: 300 });
    await expect(silent).rejects.toMatchObject({ code: 'FETCH_TIMEOUT' });
    await expect.poll(() => closedSilentRequests, { timeout: 5000 }).toBe(1);
    // A Response handed over by the caller is watched the same way.
    const stalled = new Response(new ReadableStream({ start: (controller) => controller.enqueue(new Uint8Array(10)) }));
    await expect(readModelSource(stalled, { idleTimeoutMs: 300 })).rejects.toMatchObject({ code: 'FETCH_TIMEOUT' });
    // Three timeouts of 300 ms, not the 30 s default.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('the idle timeout restarts with every chunk: a slow, steady download completes', async () => {
    const bytes = await readModelSource(`${base}/drip.twn`, { idleTimeoutMs: 400 });
    expect(bytes).toEqual(payload.subarray(0, 10_000));
  });

  it('refuses an idle timeout that is not a positive number (BAD_OPTIONS)', async () => {
    for (const idleTimeoutMs of [0, -1, Number.NaN]) {
      const refused = readModelSource(`${base}/model.twn`, { idleTimeoutMs });
      await expect(refused).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    }
  });

  it('aborts a download in progress with a typed AbortError', async () => {
    const controller = new AbortController();
    const pending = readModelSource(`${base}/slow.twn`, {
      signal: controller.signal,
      onProgress: (loaded) => loaded > 0 && controller.abort(),
    });
    const error = await pending.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TwnAbortError);
    expect(error).toBeInstanceOf(TwnError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED' });
  });

  it('refuses to start when the signal has already fired', async () => {
    await expect(readModelSource(payload, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TwnAbortError);
  });

  it('rejects a source of another kind', async () => {
    await expect(readModelSource(42 as unknown as Uint8Array)).rejects.toBeInstanceOf(TwnInputError);
  });
});
