/**
 * The client table, fast with thousands of clients: one row element per client kept in a map, rows marked dirty by
 * events and re-rendered together at the next animation frame, so a round's results touch only the rows of the
 * clients that reported, never the whole table.
 */
import type { ClientRow } from '../../src/telemetry/live/dashboard-state.js';

const COLUMNS = 9;

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  const mib = n / (1024 * 1024);
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(0)} MiB`;
}

function ms(n: number | undefined): string {
  return n === undefined ? '' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

function ago(at: number | undefined, now: number): string {
  if (at === undefined) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(at).toLocaleString();
}

export class ClientsTable {
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly dirty = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly lookup: (id: string) => ClientRow | undefined,
    private readonly onRender: () => void,
  ) {}

  /** Rebuilds every row (a snapshot). */
  reset(ids: readonly string[]): void {
    this.rows.clear();
    this.dirty.clear();
    const fragment = document.createDocumentFragment();
    const now = Date.now();
    for (const id of ids) fragment.append(this.render(id, now));
    this.body.replaceChildren(fragment);
    this.body.dataset['rendered'] = String(ids.length);
    this.onRender();
  }

  /** Marks a client's row for the next frame. */
  touch(id: string): void {
    this.dirty.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const now = Date.now();
    for (const id of this.dirty) {
      const existing = this.rows.get(id);
      const row = this.render(id, now);
      if (existing) existing.replaceWith(row);
      else this.body.append(row);
    }
    this.body.dataset['rendered'] = String(this.dirty.size);
    this.dirty.clear();
    this.onRender();
  }

  private render(id: string, now: number): HTMLTableRowElement {
    const c = this.lookup(id);
    const tr = document.createElement('tr');
    tr.dataset['client'] = id;
    const failures = c ? Object.entries(c.failures).map(([cause, n]) => `${cause} ×${n}`) : [];
    const r = c?.resources;
    const device = r?.device;
    const cells = c
      ? [
          id + (c.status === 'revoked' ? ' (revoked)' : ''),
          c.connected ? 'yes' : 'no',
          ago(c.lastSeen, now),
          String(c.rounds),
          failures.join(', '),
          ms(r?.fitMs),
          ms(r?.cpuMs),
          bytes(r?.peakMemoryBytes),
          [device?.platform ?? c.runtime, device?.cores ? `${device.cores} cores` : '', device?.backend]
            .filter(Boolean)
            .join(' · '),
        ]
      : Array.from({ length: COLUMNS }, () => '');
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      // Cells are cut to the column's width; the whole text shows on hover.
      if (text.length > 16) td.title = text;
      tr.append(td);
    }
    if (c && !c.connected) tr.className = 'offline';
    if (c?.lastFailure) tr.title = c.lastFailure;
    this.rows.set(id, tr);
    return tr;
  }
}
