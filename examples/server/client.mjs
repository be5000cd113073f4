#!/usr/bin/env node
/**
 * Minimal client of `nova serve`: POSTs a PNG, writes the upscaled PNG, prints the server's timing headers, and
 * on an error prints the server's reason (JSON {error, reason}) and exits 1.
 *   nova serve --port 8080 &
 *   node examples/server/client.mjs photo.png photo-x4.png [http://127.0.0.1:8080]
 */
import { readFile, writeFile } from 'node:fs/promises';

const [input, output, base = 'http://127.0.0.1:8080'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: client.mjs <in.png> <out.png> [server url]');
  process.exit(2);
}
const res = await fetch(`${base}/upscale`, { method: 'POST', body: await readFile(input), headers: { 'content-type': 'image/png' } });
if (!res.ok) {
  const { error, reason } = await res.json();
  console.error(`${res.status} ${error}: ${reason}${res.headers.get('retry-after') ? ` (retry after ${res.headers.get('retry-after')} s)` : ''}`);
  process.exit(1);
}
await writeFile(output, Buffer.from(await res.arrayBuffer()));
const header = (name) => res.headers.get(name);
console.log(`${output}: backend ${header('x-nova-backend')}, ×${header('x-nova-scale')}, queued ${header('x-nova-queue-ms')} ms, inference ${header('x-nova-inference-ms')} ms, ${header('x-nova-tiles')} tile(s)`);
