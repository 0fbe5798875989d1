/**
 * JS heap of a page and of its dedicated workers after a forced garbage collection, through the DevTools protocol.
 * playwright-core opens CDP sessions on pages only, so the workers are reached through the page's session: it
 * auto-attaches to them (non-flattened) and relays commands with Target.sendMessageToTarget.
 */
import type { CDPSession, Page } from 'playwright-core';

export interface HeapSample {
  /** V8 heap in use after GC, bytes. */
  readonly page: number;
  /** Sum over the page's workers (the participant page trains in one). */
  readonly workers: number;
}

export class HeapProbe {
  private readonly workerSessions: string[] = [];
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 0;

  private constructor(private readonly session: CDPSession) {
    session.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') this.workerSessions.push(e.sessionId);
    });
    session.on('Target.detachedFromTarget', (e) => {
      const i = this.workerSessions.indexOf(e.sessionId ?? '');
      if (i >= 0) this.workerSessions.splice(i, 1);
    });
    session.on('Target.receivedMessageFromTarget', (e) => {
      const message = JSON.parse(e.message) as { id?: number; result?: unknown };
      const resolve = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!resolve) return;
      this.pending.delete(message.id!);
      resolve(message.result);
    });
  }

  /** Attach before the page starts its workers (before navigating). */
  static async attach(page: Page): Promise<HeapProbe> {
    const session = await page.context().newCDPSession(page);
    const probe = new HeapProbe(session);
    await session.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    });
    return probe;
  }

  private inWorker(sessionId: string, method: string): Promise<unknown> {
    const id = ++this.nextId;
    const answered = new Promise<unknown>((resolve) => this.pending.set(id, resolve));
    void this.session.send('Target.sendMessageToTarget', {
      sessionId,
      message: JSON.stringify({ id, method, params: {} }),
    });
    return answered;
  }

  async sample(): Promise<HeapSample> {
    await this.session.send('HeapProfiler.collectGarbage');
    const page = (await this.session.send('Runtime.getHeapUsage')).usedSize;
    let workers = 0;
    for (const sessionId of [...this.workerSessions]) {
      await this.inWorker(sessionId, 'HeapProfiler.collectGarbage');
      workers += ((await this.inWorker(sessionId, 'Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    }
    return { page, workers };
  }
}
