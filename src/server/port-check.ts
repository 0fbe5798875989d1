/**
 * Checks that the server can listen on its address before it changes anything: a port held by another program would
 * otherwise surface only after the run was created in the database, as a stack trace. The check binds and releases
 * the port; `listenError` turns the same failure at the real listen (another program took the port in between) into
 * the same one-line error.
 */
import { createServer } from 'node:net';
import { FlotillaError } from '../core/index.js';

/** The typed error for a failed listen on host:port, or the error itself when it is something else. */
export function listenError(error: unknown, host: string, port: number, flag = '--port'): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new FlotillaError(
      'ADDRESS_IN_USE',
      `${where} is already in use by another program; pick another ${flag}`,
    );
  }
  if (code === 'EACCES') {
    return new FlotillaError(
      'ADDRESS_IN_USE',
      `not allowed to listen on ${where}; pick a ${flag} above 1023`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    const hostFlag = flag.replace('port', 'host');
    return new FlotillaError(
      'ADDRESS_IN_USE',
      `${host} is not an address of this machine; check ${hostFlag}`,
    );
  }
  return error;
}

/** Resolves when host:port can be listened on (port 0 always can); throws ADDRESS_IN_USE otherwise. */
export async function checkPortFree(host: string, port: number, flag = '--port'): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(error, host, port, flag)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
