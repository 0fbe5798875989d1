/**
 * The operator's dashboard (/dashboard). Sign-in with the admin token, kept in sessionStorage (never in the URL),
 * then one fetch() of the live stream (GET /api/events): a snapshot, then live events applied with the same reducer
 * the server uses (telemetry/live/dashboard-state.ts). Charts redraw once per committed round; the client table
 * re-renders only the rows events touched. A dropped stream reconnects and starts again from a fresh snapshot.
 */
import {
  applyLiveEvent,
  LIVE_EVENT_NAMES,
  type DashboardState,
  type LiveEventName,
  type LiveEvents,
} from '../../src/telemetry/live/dashboard-state.js';
import { LineChart } from './charts.js';
import { ClientsTable } from './clients-table.js';
import { RunsPanel } from './runs.js';
import { readEvents } from './sse.js';

const TOKEN_KEY = 'flotilla.adminToken';
const RECONNECT_MS = 2000;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let state: DashboardState | undefined;
let charts: Record<'loss' | 'accuracy' | 'spread' | 'bytes' | 'privacy', LineChart> | undefined;
let chartsScheduled = false;

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

function setMode(mode: 'login' | 'connecting' | 'live' | 'reconnecting'): void {
  document.body.dataset['state'] = mode;
  $('login-section').hidden = mode !== 'login';
  $('dashboard').hidden = mode === 'login';
  $('connection').textContent = mode === 'reconnecting' ? 'reconnecting…' : mode === 'live' ? 'live' : '';
}

function showLogin(message?: string): void {
  setMode('login');
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
}

/** A GET of the admin API; throws with the server's message on an error status. */
async function get(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token() ?? ''}` } });
  const body = (await res.json()) as { message?: string };
  if (!res.ok) throw new Error(body.message ?? `${path}: HTTP ${res.status}`);
  return body;
}

function refusal(status: number): string | undefined {
  if (status === 401) return 'The admin token was refused.';
  if (status === 429) return 'Too many wrong admin tokens: wait a minute and try again.';
  return undefined;
}

function fmt(value: number | undefined, digits = 3): string {
  return value === undefined ? '–' : value.toFixed(digits);
}

function renderRun(): void {
  const { run } = state!;
  $('run-id').textContent = run.runId;
  $('run-state').textContent = run.phase;
  document.body.dataset['phase'] = run.phase;
  document.body.dataset['round'] = String(run.lastRound);
  $('round').textContent = String(run.lastRound);
  $('rounds').textContent = String(run.rounds);
  $<HTMLProgressElement>('progress').value = run.rounds > 0 ? run.lastRound / run.rounds : 0;
  const detail =
    run.phase === 'waiting' && run.waiting
      ? `waiting for clients: ${run.waiting.connected} of ${run.waiting.needed} connected`
      : run.phase === 'running' && run.round !== undefined
        ? `round ${run.round} (attempt ${run.attempt ?? 1}): ${run.results ?? 0} of ${run.selected ?? 0} results`
        : (run.reason ?? '');
  $('round-detail').textContent = detail;
  const server = run.server;
  if (server) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    $('server-resources').textContent =
      `Server: ${(server.cpuMs / 1000).toFixed(1)} s CPU, ${mib(server.rssBytes)} resident ` +
      `(peak ${mib(server.peakRssBytes)}), ${mib(server.heapUsedBytes)} JS heap`;
  }
}

function makeCharts(): NonNullable<typeof charts> {
  return {
    loss: new LineChart($('loss-chart'), [
      { label: 'loss', stroke: '#3b6fd8' },
      { label: 'training loss', stroke: '#9aa5b8', dash: [4, 4] },
    ]),
    accuracy: new LineChart($('accuracy-chart'), [
      { label: 'accuracy', stroke: '#2a9d5c' },
      { label: 'AUC', stroke: '#8a4fd8' },
    ]),
    spread: new LineChart($('spread-chart'), [
      { label: 'min', stroke: '#9aa5b8' },
      { label: 'median', stroke: '#3b6fd8' },
      { label: 'max', stroke: '#d8553b' },
    ]),
    bytes: new LineChart($('bytes-chart'), [
      { label: 'KiB sent', stroke: '#3b6fd8' },
      { label: 'KiB received', stroke: '#2a9d5c' },
    ]),
    privacy: new LineChart($('privacy-chart'), [
      { label: 'epsilon spent', stroke: '#d8553b' },
      { label: 'budget', stroke: '#9aa5b8', dash: [4, 4] },
    ]),
  };
}

function renderCharts(): void {
  chartsScheduled = false;
  const { rounds, privacy } = state!;
  charts ??= makeCharts();
  const x = rounds.map((r) => r.round);
  charts.loss.setData(x, [rounds.map((r) => r.loss), rounds.map((r) => r.trainLoss)]);
  charts.accuracy.setData(x, [rounds.map((r) => r.accuracy), rounds.map((r) => r.aucRoc)]);
  const key = spreadKey(rounds);
  const spread = rounds.map((r) => r.spread?.[key]);
  charts.spread.setData(x, [
    spread.map((s) => s?.min),
    spread.map((s) => s?.median),
    spread.map((s) => s?.max),
  ]);
  charts.bytes.setData(x, [rounds.map((r) => r.bytesSent / 1024), rounds.map((r) => r.bytesReceived / 1024)]);
  charts.privacy.setData(x, [rounds.map((r) => r.epsilon), rounds.map(() => privacy?.budget?.epsilon)]);
}

/**
 * The client metric the spread chart shows: the operator's choice among those the clients reported, by default
 * their evaluation loss where they evaluated, else their training loss.
 */
function spreadKey(rounds: DashboardState['rounds']): string {
  const select = $<HTMLSelectElement>('spread-metric');
  const keys = [...new Set(rounds.flatMap((r) => Object.keys(r.spread ?? {})))].sort();
  if (select.options.length !== keys.length) {
    const chosen = select.value;
    select.replaceChildren(...keys.map((k) => new Option(k.replace('.', ' '), k)));
    const fallback = ['evaluate.loss', 'fit.loss'].find((k) => keys.includes(k)) ?? keys[0] ?? '';
    select.value = keys.includes(chosen) ? chosen : fallback;
  }
  return select.value || 'fit.loss';
}

function scheduleCharts(): void {
  if (chartsScheduled) return;
  chartsScheduled = true;
  requestAnimationFrame(renderCharts);
}

function renderPrivacy(): void {
  const p = state!.privacy;
  const el = $('privacy');
  if (!p) return;
  const spent = `ε ${fmt(p.epsilon)} spent at δ ${p.delta} (${p.mechanism})`;
  if (!p.budget) {
    el.textContent = `${spent}; no budget set.`;
    return;
  }
  const remaining = Math.max(0, p.budget.epsilon - p.epsilon);
  const projection =
    p.exhaustedAtRound === undefined
      ? ''
      : p.epsilon >= p.budget.epsilon
        ? ' The budget is spent.'
        : ` At the latest round's rate it runs out at round ${p.exhaustedAtRound}.`;
  el.textContent = `${spent} of ${fmt(p.budget.epsilon)}; ${fmt(remaining)} remaining.${projection}`;
  el.dataset['remaining'] = String(remaining);
  if (p.exhaustedAtRound !== undefined) el.dataset['exhaustedAt'] = String(p.exhaustedAtRound);
}

function renderAlerts(): void {
  const list = $('alerts');
  const alerts = state!.alerts.slice(-50).reverse();
  if (alerts.length === 0) return;
  list.replaceChildren(
    ...alerts.map((a) => {
      const li = document.createElement('li');
      li.className = `${a.severity}${a.resolved ? ' resolved' : ''}`;
      li.dataset['rule'] = a.rule;
      const where = [a.round !== undefined ? `round ${a.round}` : '', a.clientId ?? '']
        .filter(Boolean)
        .join(', ');
      li.textContent = `${new Date(a.at).toLocaleTimeString()} ${a.severity} ${a.rule}${where ? ` (${where})` : ''}: ${a.message}`;
      return li;
    }),
  );
  list.dataset['count'] = String(state!.alerts.length);
}

const table = new ClientsTable(
  document.querySelector('#clients-table tbody') as HTMLTableSectionElement,
  (id) => state?.clients[id],
  () => ($('clients-count').textContent = `(${Object.keys(state?.clients ?? {}).length})`),
);

function onSnapshot(snapshot: DashboardState): void {
  // Marks for the benchmark (bench/dashboard.ts): when the snapshot arrived and when it was on screen.
  performance.mark('snapshot-received');
  state = snapshot;
  renderRun();
  renderPrivacy();
  renderAlerts();
  table.reset(Object.keys(snapshot.clients));
  scheduleCharts();
  requestAnimationFrame(() => performance.mark('snapshot-rendered'));
}

function onEvent<K extends LiveEventName>(name: K, payload: LiveEvents[K]): void {
  if (!state) return;
  applyLiveEvent(state, name, payload);
  switch (name) {
    case 'run':
      return renderRun();
    case 'round-committed':
      renderRun();
      scheduleCharts();
      for (const id of (payload as LiveEvents['round-committed']).participants) table.touch(id);
      return;
    case 'privacy-spent':
      renderPrivacy();
      return scheduleCharts();
    case 'alert':
    case 'alert-resolved':
      return renderAlerts();
    default:
      // client-result, client-failed, client-connected, client-disconnected
      table.touch((payload as { clientId: string }).clientId);
      if (name === 'client-result') renderRun();
  }
}

const KNOWN = new Set<string>(LIVE_EVENT_NAMES);

async function connect(): Promise<void> {
  setMode(state ? 'reconnecting' : 'connecting');
  try {
    const res = await fetch('/api/events', { headers: { authorization: `Bearer ${token() ?? ''}` } });
    const refused = refusal(res.status);
    if (refused) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin(refused);
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    for await (const { name, data } of readEvents(res.body)) {
      if (name === 'snapshot') {
        onSnapshot(data as DashboardState);
        setMode('live');
        void runs.load(state!.run.runId).catch(() => undefined);
      } else if (KNOWN.has(name)) {
        onEvent(name as LiveEventName, data as never);
      }
    }
  } catch {
    // the network or the server went away: reconnect below
  }
  setMode('reconnecting');
  setTimeout(() => void connect(), RECONNECT_MS);
}

const runs = new RunsPanel($<HTMLUListElement>('runs'), $('compare-chart'), get);

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('admin-token');
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = '';
  void connect();
});
$('spread-metric').addEventListener('change', () => state && scheduleCharts());
window.addEventListener('resize', () => charts && Object.values(charts).forEach((c) => c.resize()));

if (token()) void connect();
else showLogin();
