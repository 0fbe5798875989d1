/**
 * A loopback HTTP server for benchmark pages: a fixed map of paths to bodies (no directory walking). Loopback
 * http://127.0.0.1 is a secure context, so WebCrypto and wasm behave as on an https:// page.
 */
import { createServer, type Server } from 'node:http';

export interface StaticFile {
  readonly body: Uint8Array | string;
  readonly type: string;
}

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveStatic(files: ReadonlyMap<string, StaticFile>): Promise<StaticServer> {
  const server: Server = createServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
