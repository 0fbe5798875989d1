/**
 * A built page served by the server (the participant page at /join, the dashboard at /dashboard): `GET PREFIX` is
 * its index.html and `GET PREFIX/assets/<file>` one of a fixed allow-list of built files (never a path taken from the
 * request), with the gzipped twin the build writes when the browser accepts gzip. Every response under PREFIX,
 * errors and other modules' routes included, carries the page's Content-Security-Policy and the headers that go with
 * it. A page that was never built answers 503 naming `npm run build`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface StaticPageOptions {
  /** The page's path, e.g. '/join'. */
  readonly prefix: string;
  /** What the 503 calls the page, e.g. 'participant page'. */
  readonly title: string;
  /** The built files' folder (holding index.html). */
  readonly dir: string;
  readonly csp: string;
  /** Every asset the page may load, with its content type. */
  readonly assets: ReadonlyMap<string, string>;
}

/** The package's built page `dist/web/NAME`, whether this module runs from src/ or dist/src/. */
export function builtPageDir(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const root = join(here, here.includes(`${join('dist', 'src')}`) ? '../../../..' : '../../..');
  return join(root, 'dist', 'web', name);
}

export function registerStaticPage(app: FastifyInstance, page: StaticPageOptions): void {
  const { prefix, dir } = page;
  const under = (url: string) => url === prefix || /^[/?#]/.test(url.slice(prefix.length, prefix.length + 1));
  // A hook rather than per-route headers, so every response under the prefix (errors, 404s, other routes) has them.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith(prefix) && under(request.url)) {
      void reply
        .header('content-security-policy', page.csp)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin');
    }
    return payload;
  });

  const sendFile = async (request: FastifyRequest, reply: FastifyReply, file: string, type: string) => {
    if (!(await stat(join(dir, 'index.html')).catch(() => undefined))) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`the ${page.title} is not built (${dir} is missing): run npm run build\n`);
    }
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const zipped = gzip ? await readFile(join(dir, `${file}.gz`)).catch(() => undefined) : undefined;
    const body = zipped ?? (await readFile(join(dir, file)).catch(() => undefined));
    if (!body) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    if (zipped) void reply.header('content-encoding', 'gzip');
    // Fixed file names, so the browser must check back rather than keep a stale page after an upgrade.
    return reply.type(type).header('vary', 'accept-encoding').header('cache-control', 'no-cache').send(body);
  };

  app.get(prefix, (request, reply) => sendFile(request, reply, 'index.html', 'text/html; charset=utf-8'));
  app.get<{ Params: { '*': string } }>(`${prefix}/assets/*`, (request, reply) => {
    const file = request.params['*'];
    const type = page.assets.get(file);
    if (!type) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    return sendFile(request, reply, file, type);
  });
}
