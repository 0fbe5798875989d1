/**
 * The operator's dashboard in real Chromium (Debian's, through playwright-core) against a real TLS `flotilla server`
 * process with two `flotilla client` processes training a DP-FedAvg run:
 * - the page loads over TLS (the test CA pinned by its key) with its strict CSP and no violation;
 * - without a token it shows only the sign-in form and the admin API refuses it; a wrong token is refused with a
 *   message;
 * - signed in, it follows the run live: the round number and every curve's point count grow round by round, the
 *   client table fills with the two clients' resources, the privacy panel shows spent/remaining and a projection.
 * Screenshots go to test-artifacts/ (git-ignored): dashboard-login.png, dashboard-refused.png,
 * dashboard-running.png, dashboard-finished.png.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openParticipant, screenshot, textOf } from './support/chromium.js';
import { flotilla, prepareFederation, waitFor, type Federation } from './support/federation.js';

const BUILT = new URL('../dist/web/dashboard/dashboard.js', import.meta.url).pathname;
const ADMIN = 'operator-admin-token-for-the-dashboard';
const ROUNDS = 6;
let federation: Federation | undefined;
let browser: Browser | undefined;

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
});
afterAll(async () => {
  await browser?.close();
  await federation?.stop();
});

async function points(page: import('playwright-core').Page, chart: string): Promise<number> {
  return Number(await page.getAttribute(`#${chart}`, 'data-points'));
}

describe('/dashboard in Chromium', () => {
  it('refuses without the admin token, then follows a DP run live: rounds, curves, clients, privacy', async () => {
    const f = (federation = await prepareFederation(2, 200));
    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const serverArgs = [
      ...['--rounds', String(ROUNDS), '--min-clients', '2', '--seed', '7', '--model-seed', '3'],
      ...['--evaluate-every', '1', '--local-epochs', '1'],
      ...['--dp', 'central', '--clip-norm', '0.5', '--noise-multiplier', '1.2', '--fraction', '1'],
      ...['--target-epsilon', '40'],
    ];
    // The admin token from the environment, as for any secret.
    const server = flotilla(f.serverArgs(serverArgs), { FLOTILLA_ADMIN_TOKEN: ADMIN });
    f.procs.push(server);
    await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');
    const origin = `https://127.0.0.1:${f.port}`;
    const operator = await openParticipant(browser);
    const { page } = operator;

    // Without a token: the sign-in form only, and the API behind the page says no.
    const response = await page.goto(`${origin}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.waitForSelector('#admin-token', { state: 'visible' });
    expect(await page.isHidden('#dashboard')).toBe(true);
    const anonymous = await page.evaluate(async () => (await fetch('/api/dashboard/state')).status);
    expect(anonymous).toBe(401);
    await screenshot(page, 'dashboard-login');

    // A wrong token: refused with a message, still no data.
    await page.fill('#admin-token', 'not-the-admin-token');
    await page.click('#login');
    await page.waitForSelector('#login-error', { state: 'visible' });
    expect(await textOf(page, '#login-error')).toMatch(/admin token was refused/);
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('flotilla.adminToken'))).toBeNull();
    await screenshot(page, 'dashboard-refused');

    // The right token: live, waiting for clients, the token nowhere in the URL.
    await page.fill('#admin-token', ADMIN);
    await page.click('#login');
    await page.waitForFunction(() => document.body.dataset['state'] === 'live', undefined, {
      timeout: 30_000,
    });
    expect(page.url()).toBe(`${origin}/dashboard`);
    expect(await textOf(page, '#run-state')).toBe('waiting');
    expect(await page.locator('#clients-table tbody tr').count()).toBe(2);

    for (const site of f.sites) f.startClient(site, ['--data-seed', '1']);
    const roundAtLeast = (n: number) =>
      page.waitForFunction((n) => Number(document.body.dataset['round']) >= n, n, {
        timeout: 150_000,
        polling: 100,
      });
    await roundAtLeast(2);
    await page.waitForFunction(
      () => Number(document.querySelector('#loss-chart')?.getAttribute('data-points')) >= 2,
    );
    const early = { round: Number(await textOf(page, '#round')), loss: await points(page, 'loss-chart') };
    expect(early.round).toBeGreaterThanOrEqual(2);
    // The runs panel lists this run; ticking it overlays its curve (so far).
    await page.check('#runs input[value="default"]');
    await page.waitForFunction(
      () => Number(document.querySelector('#compare-chart')?.getAttribute('data-points')) >= 2,
    );
    await screenshot(page, 'dashboard-running');

    await page
      .waitForFunction(() => document.body.dataset['phase'] === 'completed', undefined, { timeout: 150_000 })
      .catch(async (error: unknown) => {
        // Say where it stood: the page's phase and connection, and what the server and its clients logged.
        const seen = await page.evaluate(
          () => `${document.body.dataset['phase']} (${document.getElementById('connection')?.textContent})`,
        );
        const clients = f.procs.map((p) => p.output.slice(-1500)).join('\n---\n');
        throw new Error(
          `${String(error)}\npage: ${seen}\nserver:\n${server.output.slice(-4000)}\n${clients}`,
        );
      });
    expect(await server.exited).toBe(0);
    await page.waitForFunction(
      (rounds) => Number(document.querySelector('#loss-chart')?.getAttribute('data-points')) === rounds,
      ROUNDS,
    );
    // Grew while the run went on: the round number and every chart's points.
    expect(Number(await textOf(page, '#round'))).toBe(ROUNDS);
    expect(await points(page, 'loss-chart')).toBeGreaterThan(early.loss);
    for (const chart of ['accuracy-chart', 'spread-chart', 'bytes-chart', 'privacy-chart']) {
      expect(await points(page, chart)).toBe(ROUNDS);
    }
    expect(await textOf(page, '#server-resources')).toMatch(/^Server: [\d.]+ s CPU, \d+ MiB resident/);
    // The spread chart offers what the clients reported, their evaluation loss first.
    expect(await page.inputValue('#spread-metric')).toBe('evaluate.loss');
    expect(await page.locator('#spread-metric option').allTextContents()).toContain('fit loss');
    // The client table: both clients took part in every round and reported their resources.
    for (const site of f.sites) {
      const cells = await page.locator(`#clients-table tr[data-client="${site.id}"] td`).allTextContents();
      expect(cells[3]).toBe(String(ROUNDS));
      expect(cells[5]).toMatch(/\d+ (ms|s)$/);
      expect(cells[8]).toMatch(/node/);
    }
    // Privacy: spent, remaining and a projection against the 40 epsilon budget.
    const privacy = await textOf(page, '#privacy');
    expect(privacy).toMatch(/ε [\d.]+ spent at δ .* of 40\.000; [\d.]+ remaining\./);
    expect(Number(await page.getAttribute('#privacy', 'data-exhausted-at'))).toBeGreaterThan(ROUNDS);
    await screenshot(page, 'dashboard-finished');
    // No script error and no CSP violation (the 401s above and the reconnects after the server exited are logged
    // by Chromium as console errors too; they are expected).
    expect(
      operator.errors.filter((e) => e.startsWith('pageerror') || /Content.Security.Policy/i.test(e)),
    ).toEqual([]);
  }, 300_000);
});
