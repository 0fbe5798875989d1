/**
 * Launches Debian's Chromium (/usr/bin/chromium) through playwright-core, with the flags every browser test and
 * benchmark uses: headless, no sandbox (containers), no GPU (none here; WebGL falls back to software rendering) and
 * no background networking (no requests other than the page's own). Never a downloaded browser.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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

/** base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate, the form Chromium's SPKI allow-list takes. */
export async function spkiHash(certFile: string): Promise<string> {
  const cert = new X509Certificate(await readFile(certFile));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * The flag that makes Chromium trust these server certificates' keys (a test CA's server), instead of ignoring
 * every certificate error.
 */
export async function trustFlag(certFiles: readonly string[]): Promise<string> {
  const hashes = await Promise.all(certFiles.map(spkiHash));
  return `--ignore-certificate-errors-spki-list=${hashes.join(',')}`;
}
