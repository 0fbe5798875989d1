/**
 * Where a Node client keeps its files (the latest global model, its own privacy ledger) by default: the user's cache
 * folder, not the current folder, where a `.flotilla-cache/` would end up in whatever repository the client was
 * started from. One subfolder per server, so clients of two federations on one machine (or one client id used with
 * two servers) do not share files; inside it, files are named by client id.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The per-user cache root: $XDG_CACHE_HOME, else LOCALAPPDATA on Windows, else ~/.cache; then `flotilla`. */
export function userCacheRoot(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg) return join(xdg, 'flotilla');
  const local = env['LOCALAPPDATA'];
  if (platform === 'win32' && local) return join(local, 'flotilla', 'cache');
  return join(homedir(), '.cache', 'flotilla');
}

/** The default cache folder of a client of `serverUrl`: its host and port, made safe as a folder name. */
export function defaultClientCacheDir(serverUrl: string, root: string = userCacheRoot()): string {
  const url = new URL(serverUrl);
  const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
  const host = url.hostname.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(root, 'clients', `${host}_${port}`);
}
