/**
 * Real Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core (never a downloaded
 * browser; bench/browser/chromium.ts has the launcher and its flags). One browser per test file; each participant page gets its own context, so pages
 * share no sessionStorage or IndexedDB unless a test reuses a context on purpose (a reload keeps its context).
 *
 * A test CA is trusted by pinning the server certificate's public key (`--ignore-certificate-errors-spki-list`),
 * not by ignoring every certificate error: a page that reached any other TLS server with a bad certificate would
 * still fail, as it would for a participant.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium as launch, trustFlag } from '../../bench/browser/chromium.js';
import { peekFields } from '../../src/protocol/index.js';

/** Where tests write screenshots; git-ignored. */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

export interface LaunchOptions {
  /** PEM server certificates whose keys the browser trusts (the test server's `server.crt`). */
  readonly trustCertificates?: readonly string[];
  /** Extra Chromium flags (e.g. `--js-flags=--expose-gc`). */
  readonly args?: readonly string[];
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const trusted = options.trustCertificates ?? [];
  return launch([...(options.args ?? []), ...(trusted.length > 0 ? [await trustFlag(trusted)] : [])]);
}

/** One request or WebSocket frame a page (or its workers) sent. */
export interface Outgoing {
  readonly kind: 'request' | 'frame';
  readonly url: string;
  readonly method?: string;
  /** The request body or frame payload, empty when there is none. */
  readonly body: Buffer;
}

/**
 * Everything a page sends: every HTTP request (with its body) and every WebSocket frame it sends, including those of
 * its dedicated workers (Chromium reports them on the page). Attach before navigating.
 */
export class TrafficRecorder {
  readonly sent: Outgoing[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(page: Page) {
    page.on('request', (request) => {
      this.record({
        kind: 'request',
        url: request.url(),
        method: request.method(),
        body: request.postDataBuffer() ?? Buffer.alloc(0),
      });
    });
    page.on('websocket', (socket) => {
      socket.on('framesent', ({ payload }) => {
        const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
        this.record({ kind: 'frame', url: socket.url(), body });
      });
    });
  }

  private record(outgoing: Outgoing): void {
    this.sent.push(outgoing);
    for (const waiter of this.waiters) waiter();
  }

  /** The JSON header fields of every protocol frame sent (round, taskId, stage...), in order. */
  frameFields(): Record<string, unknown>[] {
    return this.frames().flatMap((f) => {
      const fields = peekFields(f.body);
      return fields ? [fields] : [];
    });
  }

  /** Resolves once a sent frame's header fields satisfy `match` (at once if one already did). */
  waitForFrame(match: (fields: Record<string, unknown>) => boolean, timeout = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.frameFields().some(match)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no frame matching ${match.toString()} in ${timeout} ms`));
      }, timeout);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The requests and frames whose body contains `needle`. */
  carrying(needle: Uint8Array): Outgoing[] {
    return this.sent.filter((o) => o.body.indexOf(needle) >= 0);
  }

  /** Requests that carried a body at all. */
  requestsWithBody(): Outgoing[] {
    return this.sent.filter((o) => o.kind === 'request' && o.body.length > 0);
  }

  frames(): Outgoing[] {
    return this.sent.filter((o) => o.kind === 'frame');
  }
}

export interface Participant {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly traffic: TrafficRecorder;
  /** Page errors and console errors, for a failing test's message. */
  readonly errors: string[];
}

/** A fresh context and page with its traffic recorded; the page is not navigated yet. */
export async function openParticipant(browser: Browser): Promise<Participant> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { context, page, traffic: new TrafficRecorder(page), errors };
}

/** Waits until `document.body.dataset.state` is one of `states`; returns it. */
export async function waitForState(
  page: Page,
  states: readonly string[],
  timeout = 120_000,
): Promise<string> {
  const handle = await page.waitForFunction(
    (wanted) => {
      const state = document.body?.dataset['state'];
      return state !== undefined && wanted.includes(state) ? state : false;
    },
    [...states],
    { timeout, polling: 100 },
  );
  return (await handle.jsonValue()) as string;
}

/** Waits until the page has answered round `round` or a later one (`document.body.dataset.round`). */
export async function waitForRound(page: Page, round: number, timeout = 120_000): Promise<number> {
  const handle = await page.waitForFunction(
    (wanted) => {
      const answered = Number(document.body?.dataset['round'] ?? 0);
      return answered >= wanted ? answered : false;
    },
    round,
    { timeout, polling: 100 },
  );
  return (await handle.jsonValue()) as number;
}

/** The trimmed text of an element, '' if it is absent. */
export async function textOf(page: Page, selector: string): Promise<string> {
  const element = await page.$(selector);
  return element ? ((await element.textContent()) ?? '').trim() : '';
}

/** Saves a full-page PNG to test-artifacts/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
