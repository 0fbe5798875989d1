/**
 * Participant pages that come and go, in real Chromium against a TLS `flotilla server` process whose rounds wait for
 * every registered client (`--wait-for-all-clients`): a page reloaded mid-run rejoins from what it kept in IndexedDB
 * (its picked file and the cached global model, shown in `#cached-round`) and the server counts it again; a wrong
 * token and a revoked client are refused with a clear message on the page; an enrolment link from
 * `flotilla clients add NAME --link` signs a page in once (that page then trains in the run) and is refused the
 * second time. A screenshot of a page mid-run is saved to test-artifacts/participant-mid-run.png.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import {
  launchChromium,
  openParticipant,
  screenshot,
  textOf,
  waitForRound,
  waitForState,
  type Participant,
} from './support/chromium.js';
import { flotilla, prepareFederation, waitFor, type Federation } from './support/federation.js';
import {
  distinctiveBytes,
  joinAsParticipant,
  logEvents,
  requireBuiltPage,
  runToEnd,
  waitFinished,
} from './support/participants.js';

const ROUNDS = 6;
/** What the page adds to a refused credential: what the participant can do about it. */
const HINT = 'Check the name and token your operator gave you, or ask them for a new enrolment link.';
let federation: Federation | undefined;
let browser: Browser | undefined;
beforeAll(() => requireBuiltPage());
afterAll(async () => {
  await browser?.close();
  await federation?.stop();
});

/** Signs in on a fresh page, picks `csv` (the page connects once it has data) and returns the refusal shown. */
async function refusedMessage(origin: string, clientId: string, token: string, csv: string): Promise<string> {
  const p = await joinAsParticipant(browser!, { origin, clientId, token, files: [csv] });
  await waitForState(p.page, ['refused'], 60_000);
  await p.page.waitForSelector('#error', { state: 'visible' });
  const message = await textOf(p.page, '#error');
  // Signed out again: the form is back, and the token is not kept.
  await p.page.waitForSelector('#login', { state: 'visible' });
  expect(await p.page.evaluate(() => sessionStorage.length)).toBe(0);
  await p.context.close();
  return message;
}

describe('participant pages that reload, are refused, or enrol', () => {
  it('a reloaded page rejoins from IndexedDB; wrong and revoked tokens are refused on the page; an enrolment link works once', async () => {
    // site-0: the page that reloads; site-1: a Node client; site-2: revoked before the run.
    const f = (federation = await prepareFederation(3, 300));
    const [reloaded, nodeSite, revoked] = f.sites as [
      (typeof f.sites)[0],
      (typeof f.sites)[0],
      (typeof f.sites)[0],
    ];
    const storage = SqliteStorage.open(f.db);
    await storage.revokeClient(revoked.id);
    await storage.close();
    const origin = `https://127.0.0.1:${f.port}`;
    const add = flotilla(['clients', 'add', 'newcomer', '--link', '--url', origin, '--db', f.db]);
    expect(await add.exited, add.output).toBe(0);
    const link = /https:\/\/\S+#enrol=\S+/.exec(add.output)?.[0];
    expect(link, add.output).toBeDefined();

    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const server = flotilla([
      ...['server', '--port', String(f.port), '--db', f.db, '--tls-dir', f.tlsDir, '--input-size', '21'],
      ...['--model', 'tabular-mlp', '--rounds', String(ROUNDS), '--wait-for-all-clients'],
      ...['--seed', '7', '--learning-rate', '0.1', '--retry-backoff', '0.2', '--evaluate-every', '1'],
    ]);
    f.procs.push(server);
    await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');

    // Refusals, before the run starts: a clear message on the page, nothing kept.
    const wrong = await refusedMessage(origin, reloaded.id, 'flc_not-the-token', reloaded.csv);
    const gone = await refusedMessage(origin, revoked.id, revoked.token, revoked.csv);
    // The server does not say which of name and token is wrong, nor that a client exists but was revoked.
    expect(wrong).toBe(
      `the server refused this client: AUTH_FAILED: no valid credential for client "${reloaded.id}". ${HINT}`,
    );
    expect(gone).toBe(
      `the server refused this client: AUTH_FAILED: no valid credential for client "${revoked.id}". ${HINT}`,
    );

    // The enrolment link signs a page in and it trains; its code went only in the enrolment request's body.
    const enrolled = await openParticipant(browser);
    await enrolled.page.goto(link!);
    await enrolled.page.waitForSelector('#data-files', { state: 'visible' });
    expect(enrolled.page.url()).toBe(`${origin}/join`);
    await enrolled.page.setInputFiles('#data-files', nodeSite.csv);
    await enrolled.page.click('#start');
    const code = new URL(link!).hash.slice('#enrol='.length);
    const withCode = enrolled.traffic.sent.filter((o) => o.url.includes(code) || o.body.includes(code));
    expect(withCode.map((o) => o.url)).toEqual([`${origin}/join/enrol`]);
    expect(await textOf(enrolled.page, '#who')).toBe('newcomer');

    // The same link a second time: refused, with the reason on the page.
    const again = await openParticipant(browser);
    await again.page.goto(link!);
    await again.page.waitForSelector('#error', { state: 'visible' });
    expect(await textOf(again.page, '#error')).toMatch(/^enrolment refused: .*(used|already)/i);
    await again.page.waitForSelector('#login', { state: 'visible' });
    await again.context.close();

    const page: Participant = await joinAsParticipant(browser, {
      origin,
      clientId: reloaded.id,
      token: reloaded.token,
      files: [reloaded.csv],
    });
    const node = f.startClient(nodeSite);

    // Mid-run: the page answered round 2; it shows the run, then reloads.
    await waitForRound(page.page, 2);
    await screenshot(page.page, 'participant-mid-run');
    expect(await textOf(page.page, '#cached-round')).not.toBe('');
    const before = Number(await textOf(page.page, '#cached-round'));
    await page.page.reload();
    // Back from sessionStorage and IndexedDB: no sign-in, no file picker, the cached model's round shown.
    await page.page.waitForFunction(
      () => document.getElementById('cached-round')?.textContent !== '',
      undefined,
      { timeout: 60_000 },
    );
    expect(Number(await textOf(page.page, '#cached-round'))).toBeGreaterThanOrEqual(before);
    expect(await page.page.isVisible('#login')).toBe(false);
    expect(await page.page.isVisible('#data-files')).toBe(false);
    await waitForRound(page.page, before + 1);

    expect(await runToEnd(server, [page, enrolled]), server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${ROUNDS}`);
    await waitFinished(page);
    await waitFinished(enrolled);
    expect(await node.exited, node.output).toBe(0);
    // The enrolled page sent one request body in the whole run, its code; the pages' files stayed with them.
    expect(enrolled.traffic.requestsWithBody().map((o) => o.url)).toEqual([`${origin}/join/enrol`]);
    expect(page.traffic.requestsWithBody()).toEqual([]);
    for (const p of [page, enrolled]) {
      expect(p.traffic.carrying(await distinctiveBytes(p === page ? reloaded.csv : nodeSite.csv))).toEqual(
        [],
      );
    }

    const events = logEvents(server.output);
    const connects = events.filter((e) => e['event'] === 'connected' && e['clientId'] === reloaded.id);
    expect(connects.length).toBeGreaterThanOrEqual(2);
    const check = SqliteStorage.open(f.db);
    const rounds = await check.rounds('default');
    await check.close();
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6]);
    // Every round waited for every active client: the reloaded page is in each, the last ones after its return.
    for (const r of rounds) {
      expect([...(r.record as unknown as { participants: string[] }).participants].sort()).toEqual(
        ['newcomer', reloaded.id, nodeSite.id].sort(),
      );
    }
  }, 240_000);
});
