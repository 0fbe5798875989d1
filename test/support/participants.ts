/**
 * Participant pages of a real `flotilla server` in Chromium: sign in through the page's form, pick local files
 * through its file input, and read the server's JSON log lines. The page is the built one (dist/web/join), so
 * tests that use it need `npm run build` (or `node --import tsx scripts/build-web.ts`) first.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { openParticipant, textOf, waitForState, type Participant } from './chromium.js';
import type { Proc } from './federation.js';

const BUILT_PAGE = new URL('../../dist/web/join/worker.js', import.meta.url).pathname;

/** Fails at once, naming the fix, when the participant page was never built. */
export function requireBuiltPage(): void {
  if (!existsSync(BUILT_PAGE)) {
    throw new Error(`${BUILT_PAGE} is missing: run \`npm run build\` before the browser tests`);
  }
}

export interface JoinOptions {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  readonly clientId: string;
  readonly token: string;
  /** Paths of the files to pick (one CSV, or an images and a labels IDX file). */
  readonly files: readonly string[];
  /** The page's `?data-seed=` (the Node client's --data-seed). */
  readonly dataSeed?: number;
}

/** Opens /join, signs in with the form and picks `files`; returns once the page is training or waiting. */
export async function joinAsParticipant(browser: Browser, options: JoinOptions): Promise<Participant> {
  const participant = await openParticipant(browser);
  const { page } = participant;
  await page.goto(`${options.origin}/join?data-seed=${options.dataSeed ?? 0}`);
  await signIn(participant, options.clientId, options.token);
  await page.waitForSelector('#data-files', { state: 'visible' });
  await page.setInputFiles('#data-files', [...options.files]);
  await page.click('#start');
  return participant;
}

/** Fills and submits the sign-in form of a page showing it. */
export async function signIn(participant: Participant, clientId: string, token: string): Promise<void> {
  const { page } = participant;
  await page.waitForSelector('#client-id', { state: 'visible' });
  await page.fill('#client-id', clientId);
  await page.fill('#token', token);
  await page.click('#login');
}

/**
 * The most varied 48-byte run of a file (most distinct byte values): what a leak of the file would carry, and
 * unlike a run of blank pixels or padding, nothing else a page sends would contain it by chance.
 */
export async function distinctiveBytes(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const width = Math.min(48, bytes.length);
  let best = 0;
  let bestCount = -1;
  for (let start = 0; start + width <= bytes.length; start += 3) {
    const count = new Set(bytes.subarray(start, start + width)).size;
    if (count > bestCount) [best, bestCount] = [start, count];
  }
  return bytes.subarray(best, best + width);
}

/** Waits for the page to reach `finished`, with its errors in the message if it ends otherwise. */
export async function waitFinished(participant: Participant, timeout = 150_000): Promise<void> {
  const state = await waitForState(participant.page, ['finished', 'refused'], timeout).catch((e: Error) => {
    throw new Error(`${e.message}\npage errors: ${participant.errors.join('\n')}`);
  });
  if (state !== 'finished') throw new Error(`the page ended ${state}: ${participant.errors.join('\n')}`);
}

/**
 * Waits for the server process to exit, failing early, with the page's message and the server's log, when a page
 * shows an error (a refusal, files that cannot train): a run missing a client would otherwise wait forever.
 */
export async function runToEnd(
  server: Proc,
  pages: readonly Participant[],
  timeout = 180_000,
): Promise<number | null> {
  const end = Date.now() + timeout;
  while (server.child.exitCode === null && server.child.signalCode === null) {
    for (const p of pages) {
      if (p.page.isClosed()) continue;
      const error = await textOf(p.page, '#error');
      if (error) throw new Error(`a page shows "${error}"; server log:\n${server.output}`);
    }
    if (Date.now() > end)
      throw new Error(`the run did not end in ${timeout} ms; server log:\n${server.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return server.exited;
}

/** The JSON objects of a server's log (one per line; other lines skipped). */
export function logEvents(output: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the end of the output
    }
  }
  return events;
}

/** The server log's `client-result` lines of one phase. */
export interface ClientResultLine {
  readonly round: number;
  readonly phase: string;
  readonly clientId: string;
  readonly numExamples: number;
  readonly metrics?: Record<string, number>;
  readonly resources?: { readonly fitMs: number; readonly device?: Record<string, unknown> };
}

export function clientResults(output: string, phase = 'fit'): ClientResultLine[] {
  return logEvents(output).filter(
    (e) => e['event'] === 'client-result' && e['phase'] === phase,
  ) as unknown as ClientResultLine[];
}
