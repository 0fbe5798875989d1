/**
 * The browser platform of the client, in Chromium (the "browser" vitest project: Node has no IndexedDB): the model
 * cache, ledger and picked-file store persist across instances (a reloaded page), "Leave" deletes them all, and the
 * counting socket forwards every frame while it tallies bytes.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError } from '../../core/index.js';
import { BrowserClient } from '../../public/browser.js';
import type { WebSocketLike } from '../connection.js';
import { countingSocketFactory, type ByteCounts } from './counting-socket.js';
import { IdbStore } from './idb.js';
import { IndexedDbPrivacyLedger } from './ledger.js';
import { IndexedDbModelCache } from './model-cache.js';
import { PickedFileStore } from './picked-files.js';

const freshStore = () => new IdbStore(`flotilla-test-${crypto.randomUUID()}`);

function params(scale: number): ParameterSet {
  return ParameterSet.fromTensors([
    { name: 'w', shape: [2, 2], values: Float32Array.from([1, 2, 3, 4], (v) => v * scale) },
    { name: 'b', shape: [2], values: Float32Array.from([0.5, -0.5], (v) => v * scale) },
  ]);
}

describe('IndexedDbModelCache', () => {
  it('has nothing at first, then keeps the latest model and its round for the next page', async () => {
    const store = freshStore();
    expect(await new IndexedDbModelCache(store).load()).toBeUndefined();
    await new IndexedDbModelCache(store).save(params(1), 3);
    await new IndexedDbModelCache(store).save(params(2), 4);
    // A new instance on the same database: what a reloaded page sees.
    const cached = await new IndexedDbModelCache(new IdbStore(store.name)).load();
    expect(cached?.round).toBe(4);
    expect(Array.from(cached!.params.data)).toEqual(Array.from(params(2).data));
    cached!.params.layout.assertEquals(params(2).layout, 'the cached and the saved model');
    await store.destroy();
  });

  it('treats an unreadable entry as no cache (it is only a cache)', async () => {
    const store = freshStore();
    await store.set('global-model', { round: 2, bytes: new Uint8Array([1, 2, 3]) });
    expect(await new IndexedDbModelCache(store).load()).toBeUndefined();
    await store.destroy();
  });
});

describe('IndexedDbPrivacyLedger and PickedFileStore', () => {
  it('keep the ledger and the picked files across instances, and destroy() forgets both', async () => {
    const store = freshStore();
    const ledger = new IndexedDbPrivacyLedger(store);
    const files = new PickedFileStore(store);
    expect(await ledger.load()).toBeUndefined();
    expect(await files.load()).toBeUndefined();
    const snapshot = { version: 1, entries: [{ mechanism: 'gaussian', noiseMultiplier: 1.1 }] };
    await ledger.save(snapshot);
    await files.save([{ name: 'stroke.csv', bytes: new TextEncoder().encode('id,age\n1,50\n').buffer }]);

    const again = new IdbStore(store.name);
    expect(await new IndexedDbPrivacyLedger(again).load()).toEqual(snapshot);
    const [file] = (await new PickedFileStore(again).load())!;
    expect(file!.name).toBe('stroke.csv');
    expect(new TextDecoder().decode(file!.bytes)).toBe('id,age\n1,50\n');

    await again.destroy();
    expect(await new IndexedDbPrivacyLedger(store).load()).toBeUndefined();
    expect(await new PickedFileStore(store).load()).toBeUndefined();
  });
});

/** An in-memory socket standing in for the platform's: it records what is sent and lets the test deliver frames. */
class LoopSocket implements WebSocketLike {
  binaryType = 'blob';
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closed: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closed = code;
  }
}

describe('countingSocketFactory', () => {
  it('forwards frames and events both ways and counts the bytes of each', () => {
    const inner = new LoopSocket();
    const counts: ByteCounts = { sent: 0, received: 0 };
    let changes = 0;
    const socket = countingSocketFactory(
      () => inner,
      counts,
      () => changes++,
    )('wss://example/ws');
    socket.binaryType = 'arraybuffer';
    expect(inner.binaryType).toBe('arraybuffer');
    const received: unknown[] = [];
    let opened = false;
    let closedWith: number | undefined;
    socket.onopen = () => (opened = true);
    socket.onmessage = (event) => received.push(event.data);
    socket.onclose = (event) => (closedWith = event.code);

    inner.onopen!({});
    socket.send(new Uint8Array(10));
    socket.send(new Uint8Array(5));
    const frame = new Uint8Array(7).buffer;
    inner.onmessage!({ data: frame });
    inner.onclose!({ code: 1000, reason: '' });
    socket.close(1000);

    expect(opened).toBe(true);
    expect(inner.sent.map((s) => s.byteLength)).toEqual([10, 5]);
    expect(received).toEqual([frame]);
    expect(closedWith).toBe(1000);
    expect(inner.closed).toBe(1000);
    expect(counts).toEqual({ sent: 15, received: 7 });
    expect(changes).toBe(3);
  });
});

describe('BrowserClient', () => {
  it('refuses options it cannot run with, naming the field', () => {
    const trainer = { fit: async () => ({}) as never, evaluate: async () => ({}) as never };
    const bad = (options: object) => {
      try {
        new BrowserClient({ server: 'wss://h/ws', clientId: 'alice', token: 't', trainer, ...options });
      } catch (error) {
        return isFlotillaError(error, 'INVALID_ARGUMENT') ? error.message : `not typed: ${String(error)}`;
      }
      return 'accepted';
    };
    expect(bad({})).toBe('accepted');
    expect(bad({ clientId: '' })).toBe('"clientId" must be a non-empty string');
    expect(bad({ server: 42 })).toBe('"server" must be a non-empty string');
    expect(bad({ trainer: {} })).toBe('"trainer" must have fit and evaluate methods');
  });
});
