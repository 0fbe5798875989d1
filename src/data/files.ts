/**
 * Node-only file access shared by the loaders: reading bytes with a DATA_NOT_FOUND error that names the path,
 * transparent gunzip, strict UTF-8 decoding. Parsers stay pure (browser-safe); only this layer touches the disk.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { FlotillaError } from '../core/index.js';

const gunzipAsync = promisify(gunzip);

/** Reads a whole file. `hint` is appended to the not-found message (e.g. how to install the data). */
export async function readDataFile(path: string, hint = ''): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new FlotillaError('DATA_NOT_FOUND', `data file not found: ${path}${hint ? `. ${hint}` : ''}`, {
        path,
      });
    }
    throw new FlotillaError('DATA_INVALID', `cannot read ${path}: ${(error as Error).message}`, { path });
  }
}

/** Decompresses gzip data (recognised by its magic bytes 1f 8b); anything else is returned unchanged. */
export async function maybeGunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw new FlotillaError('DATA_INVALID', `${source}: corrupt gzip data: ${(error as Error).message}`, {
      path: source,
    });
  }
}

/** Decodes UTF-8 strictly (invalid bytes are an error, not replacement characters); a BOM is kept for the parser. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FlotillaError('DATA_INVALID', `${source}: not valid UTF-8 text`, { path: source });
  }
}

/** Reads a (possibly gzipped) UTF-8 text file. */
export async function readTextFile(path: string, hint = ''): Promise<string> {
  return decodeUtf8(await maybeGunzip(await readDataFile(path, hint), path), path);
}
