/**
 * The upscale server over real HTTP on localhost, with a fake upscaler (nearest-neighbour ×2 with a chosen
 * delay), so limits, back-pressure, timeouts and failures are tested exactly and fast.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePng, encodePng, type RgbImage } from '../../src-ts/models/esrgan/image.js';
import { createUpscaleServer, type ServerOptions, type UpscaleService } from '../../src-ts/models/esrgan/server.js';
import { Rng } from '../../src-ts/util/random.js';

interface Fake extends UpscaleService {
  calls: number;
  delayMs: number;
  fail: boolean;
}

function fakeService(delayMs = 0): Fake {
  const fake: Fake = {
    scale: 2,
    backend: 'fake',
    description: 'fake nearest-neighbour ×2',
    calls: 0,
    delayMs,
    fail: false,
    pooledBytes: () => 1234,
    async upscale(image: RgbImage) {
      fake.calls++;
      await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
      if (fake.fail) throw Object.assign(new Error('device exploded'), { code: 'E_DEVICE' });
      const w = image.width * 2;
      const data = new Float32Array(w * image.height * 2 * 3);
      for (let y = 0; y < image.height * 2; y++) {
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = image.data[((y >> 1) * image.width + (x >> 1)) * 3 + c];
        }
      }
      return { image: { width: w, height: image.height * 2, data }, tiles: 1, timings: { total: fake.delayMs } };
    },
  };
  return fake;
}

function png(width: number, height: number): Buffer {
  const data = Float32Array.from({ length: width * height * 3 }, (_, i) => ((i * 37) % 256) / 255);
  return encodePng({ width, height, data });
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(service: UpscaleService, options: ServerOptions = {}): Promise<string> {
  const instance = createUpscaleServer(service, options);
  await new Promise<void>((resolve) => instance.server.listen(0, '127.0.0.1', resolve));
  close = instance.close;
  return `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}`;
}

const post = (url: string, body: Uint8Array, signal?: AbortSignal) =>
  fetch(`${url}/upscale`, { method: 'POST', body, headers: { 'content-type': 'image/png' }, signal });

describe('upscale server', () => {
  it('answers a PNG with the upscaled PNG and reports itself on /healthz', async () => {
    const url = await start(fakeService());
    const input = png(5, 3);
    const res = await post(url, input);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-nova-backend')).toBe('fake');
    const out = decodePng(new Uint8Array(await res.arrayBuffer()));
    const src = decodePng(input);
    expect([out.width, out.height]).toEqual([10, 6]);
    expect(out.data[((5 * 10 + 9) * 3 + 1)]).toBeCloseTo(src.data[((2 * 5 + 4) * 3 + 1)], 6);
    const health = await (await fetch(`${url}/healthz`)).json();
    expect(health).toMatchObject({ ok: true, backend: 'fake', queue: { running: false, waiting: 0 }, stats: { served: 1 }, memory: { pooledBytes: 1234 } });
  });

  it('works with PNG coding on the event loop too (codecThreads 0)', async () => {
    const url = await start(fakeService(), { codecThreads: 0 });
    const res = await post(url, png(3, 2));
    expect(res.status).toBe(200);
    expect(decodePng(new Uint8Array(await res.arrayBuffer())).width).toBe(6);
  });

  it('refuses a PNG whose header claims a huge image before decoding it', async () => {
    const fake = fakeService();
    const url = await start(fake, { maxPixels: 1000 });
    const bomb = png(4, 4);
    bomb.writeUInt32BE(100_000, 16); // IHDR width
    bomb.writeUInt32BE(100_000, 20); // IHDR height
    const res = await post(url, bomb);
    expect(res.status).toBe(413);
    expect((await res.json()).reason).toMatch(/100000×100000 pixels exceeds the limit of 1000/);
    expect(fake.calls).toBe(0);
  });

  it('answers bad requests with 400/404/405/413 and a reason, and keeps serving', async () => {
    const fake = fakeService();
    const url = await start(fake, { maxBodyBytes: 4096, maxPixels: 100 });
    const cases: [Promise<Response>, number, RegExp][] = [
      [post(url, new Uint8Array(0)), 400, /empty body/],
      [post(url, new TextEncoder().encode('hello, not an image')), 400, /not a PNG/],
      [post(url, Uint8Array.from([...png(4, 4).subarray(0, 40)])), 400, /PNG/],
      [post(url, new Uint8Array(5000)), 413, /exceeds the limit of 4096 bytes/],
      [post(url, png(20, 20)), 413, /20×20 pixels exceeds the limit of 100 pixels/],
      [fetch(`${url}/upscale`), 405, /POST/],
      [fetch(`${url}/nothing`), 404, /no route/],
    ];
    for (const [pending, status, reason] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect((await res.json()).reason).toMatch(reason);
    }
    expect(fake.calls).toBe(0);
    expect((await post(url, png(3, 3))).status).toBe(200);
  });

  it('answers 413 to a streamed body without Content-Length that grows past the limit', async () => {
    const url = await start(fakeService(), { maxBodyBytes: 4096 });
    const chunks = [png(4, 4), new Uint8Array(8192)];
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await fetch(`${url}/upscale`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).reason).toMatch(/exceeds the limit of 4096 bytes/);
  });

  it('never fails on mangled PNGs: truncations and flipped bytes give 400 (or 200 if still decodable), never 500', async () => {
    const fake = fakeService();
    const url = await start(fake);
    const good = png(6, 5);
    const rng = new Rng(12345);
    const bodies: Uint8Array[] = [];
    for (let cut = 1; cut < good.length; cut += 7) bodies.push(good.subarray(0, cut));
    for (let i = 0; i < 40; i++) {
      const bad = Uint8Array.from(good);
      for (let flips = 0; flips < 3; flips++) bad[8 + rng.below(bad.length - 8)] ^= 1 << rng.below(8);
      bodies.push(bad);
    }
    const statuses = new Set<number>();
    for (const body of bodies) statuses.add((await post(url, body)).status);
    expect([...statuses].every((status) => status === 400 || status === 200 || status === 413)).toBe(true);
    expect(statuses.has(400)).toBe(true);
    expect((await post(url, good)).status).toBe(200);
  });

  it('applies back-pressure: 429 with Retry-After when the queue is full', async () => {
    const fake = fakeService(150);
    const url = await start(fake, { maxQueue: 1 });
    const responses = await Promise.all([0, 1, 2, 3].map(() => post(url, png(2, 2))));
    const statuses = responses.map((r) => r.status).sort();
    // One runs, one waits, the rest are refused.
    expect(statuses).toEqual([200, 200, 429, 429]);
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).reason).toMatch(/queue full/);
  });

  it('503 when a request waits too long, 504 when inference takes too long', async () => {
    const fake = fakeService(300);
    const url = await start(fake, { queueTimeoutMs: 100, inferenceTimeoutMs: 200 });
    const [first, second] = await Promise.all([post(url, png(2, 2)), post(url, png(2, 2))]);
    expect(first.status).toBe(504);
    expect((await first.json()).reason).toMatch(/did not finish within 200 ms/);
    expect(second.status).toBe(503);
    expect((await second.json()).reason).toMatch(/waited 100 ms in the queue/);
  });

  it('a failing backend gives 500 with its message; the next request succeeds', async () => {
    const fake = fakeService();
    const url = await start(fake);
    fake.fail = true;
    const res = await post(url, png(2, 2));
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ reason: 'device exploded', code: 'E_DEVICE' });
    fake.fail = false;
    expect((await post(url, png(2, 2))).status).toBe(200);
  });

  it('drops queued work of clients that went away', async () => {
    const fake = fakeService(200);
    const url = await start(fake, { maxQueue: 4 });
    const running = post(url, png(2, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const controller = new AbortController();
    const abandoned = post(url, png(2, 2), controller.signal).catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await abandoned).toBe('AbortError');
    expect((await running).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(fake.calls).toBe(1);
  });
});
