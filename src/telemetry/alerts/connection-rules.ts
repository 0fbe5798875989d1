/** client-flapping: a client that disconnects repeatedly within a window (a server's connection events). */
import type { AlertState } from './state.js';
import type { ConnectionEventSource } from './types.js';

export function attachConnectionRules(
  connections: ConnectionEventSource,
  state: AlertState,
  now: () => number = Date.now,
): () => void {
  const { flappingDisconnects: limit, flappingWindowMs: window } = state.rules;
  // At most `limit` recent disconnect times per client: memory stays bounded by the clients that connect.
  const recent = new Map<string, number[]>();
  const inWindow = (clientId: string): number[] => {
    const since = now() - window;
    const times = (recent.get(clientId) ?? []).filter((t) => t > since);
    if (times.length === 0) recent.delete(clientId);
    else recent.set(clientId, times);
    return times;
  };
  const removers = [
    connections.on('client-disconnected', ({ clientId, reason }) => {
      const times = [...inWindow(clientId), now()].slice(-limit);
      recent.set(clientId, times);
      if (times.length < limit) return;
      state.raise({
        rule: 'client-flapping',
        severity: 'warning',
        clientId,
        message: `client "${clientId}" disconnected ${times.length} times within ${(window / 1000).toFixed(0)} s (last: ${reason})`,
        value: times.length,
        threshold: limit,
      });
    }),
    connections.on('client-connected', ({ clientId }) => {
      if (inWindow(clientId).length < limit) state.resolve('client-flapping', clientId);
    }),
  ];
  return () => removers.forEach((remove) => remove());
}
