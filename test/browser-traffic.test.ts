/**
 * The "data never leaves the page" checks of the browser tests can fail: a page on a loopback server whose Web
 * Worker uploads a picked file, over a WebSocket and in a POST body, is caught by the same TrafficRecorder and
 * distinctive-bytes search the participant-page tests use.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { launchChromium, openParticipant } from './support/chromium.js';
import { distinctiveBytes } from './support/participants.js';

const PAGE = `<!doctype html><input id="files" type="file"><script>
  const worker = new Worker('/leak.js');
  document.getElementById('files').onchange = async (e) =>
    worker.postMessage(await e.target.files[0].arrayBuffer());
</script>`;
const WORKER = `onmessage = (e) => {
  const socket = new WebSocket('ws://' + location.host + '/ws');
  socket.onopen = () => socket.send(e.data);
  fetch('/upload', { method: 'POST', body: e.data });
};`;

let browser: Browser | undefined;
let server: Server | undefined;
let dir: string | undefined;
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the traffic recorder', () => {
  it("catches a worker that uploads a picked file's bytes over a WebSocket and in a request body", async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-leak-'));
    const file = join(dir, 'private.csv');
    await writeFile(
      file,
      Array.from({ length: 200 }, (_, i) => `${i},${(i * 7919) % 1000},row-${i}`).join('\n'),
    );
    const received: Buffer[] = [];
    server = createServer((request, response) => {
      const body = request.url === '/leak.js' ? WORKER : request.url === '/' ? PAGE : '';
      const type = request.url === '/leak.js' ? 'text/javascript' : 'text/html';
      request.resume();
      response.writeHead(body ? 200 : 204, { 'content-type': type }).end(body);
    });
    new WebSocketServer({ server }).on('connection', (s) => s.on('message', (m: Buffer) => received.push(m)));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };

    browser = await launchChromium();
    const p = await openParticipant(browser);
    await p.page.goto(`http://127.0.0.1:${port}/`);
    await p.page.setInputFiles('#files', file);
    const needle = await distinctiveBytes(file);
    await expect
      .poll(() =>
        p.traffic
          .carrying(needle)
          .map((o) => o.kind)
          .sort(),
      )
      .toEqual(['frame', 'request']);
    expect(p.traffic.requestsWithBody().map((o) => new URL(o.url).pathname)).toEqual(['/upload']);
    // What the recorder saw is what the server got.
    await expect.poll(() => received.some((m) => m.indexOf(needle) >= 0)).toBe(true);
  }, 60_000);
});
