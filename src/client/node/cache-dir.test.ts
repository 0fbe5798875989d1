import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultClientCacheDir, userCacheRoot } from './cache-dir.js';

describe('the default client cache folder', () => {
  it("is in the user's cache, not the current folder", () => {
    expect(userCacheRoot({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe(join('/x/cache', 'flotilla'));
    expect(userCacheRoot({}, 'linux')).toBe(join(homedir(), '.cache', 'flotilla'));
    expect(userCacheRoot({ LOCALAPPDATA: 'C:\\\\Users\\\\a\\\\AppData\\\\Local' }, 'win32')).toBe(
      join('C:\\\\Users\\\\a\\\\AppData\\\\Local', 'flotilla', 'cache'),
    );
  });

  it('has one folder per server, so clients of two servers do not share files', () => {
    const a = defaultClientCacheDir('wss://10.0.0.1:8443/ws', '/c');
    const b = defaultClientCacheDir('wss://10.0.0.2:8443/ws', '/c');
    expect(a).toBe(join('/c', 'clients', '10.0.0.1_8443'));
    expect(b).not.toBe(a);
    expect(defaultClientCacheDir('wss://[::1]/ws', '/c')).toBe(join('/c', 'clients', '___1__443'));
  });
});
