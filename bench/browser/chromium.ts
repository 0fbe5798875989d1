/**
 * Launches Debian's Chromium (/usr/bin/chromium) through playwright-core, with the flags every browser test and
 * benchmark uses: headless, no sandbox (containers), no GPU (none here; WebGL falls back to software rendering) and
 * no background networking (no requests other than the page's own). Never a downloaded browser.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...extraArgs] });
}
