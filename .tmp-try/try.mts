import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { prepareFederation, waitFor } from '/work/wt/page/test/support/federation.ts';
const f = await prepareFederation(2, 300);
const server = f.startServer(['--rounds', '2', '--min-clients', '2', '--seed', '7']);
await waitFor(() => server.output.includes('"listening"'), 60000, 'listening');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await ctx.newPage();
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.goto(`https://127.0.0.1:${f.port}/join`);
await page.fill('#client-id', f.sites[0]!.id);
await page.fill('#token', f.sites[0]!.token);
await page.click('#login');
await page.waitForSelector('#data-files', { state: 'visible' });
await page.setInputFiles('#data-files', f.sites[0]!.csv);
await page.click('#start');
f.startClient(f.sites[1]!);
try {
  await page.waitForFunction(() => ['finished', 'refused'].includes(document.body.dataset.state ?? ''), null, { timeout: 120000 });
} catch (e) { console.log('timeout', e); }
console.log(await page.evaluate(() => document.querySelector('main')!.innerText));
await page.screenshot({ path: '/tmp/pagetry/shot.png', fullPage: true });
console.log(server.output.slice(-3000));
await browser.close();
await f.stop();
