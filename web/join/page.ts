/**
 * The participant page: sign-in (a name and token, or a one-time enrolment link whose code sits in the URL fragment
 * and so never reaches a server log), the data picker, and the live status the training worker reports. The
 * credentials live in this tab's sessionStorage, never in the URL; the data never leaves the browser (the worker
 * reads it, only model updates go to the server). No inline scripts or styles: the server's CSP forbids them.
 */
import type { ParticipantTask } from '../../src/server/participant-page.js';
import type { FromWorker, PickedFileMessage, ToWorker } from './messages.js';

const CREDENTIALS = 'flotilla-credentials';

interface Credentials {
  readonly clientId: string;
  readonly token: string;
}

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element as T;
}

const text = (id: string, value: string) => ($(id).textContent = value);

function showError(message: string | undefined): void {
  const box = $('error');
  box.textContent = message ?? '';
  box.hidden = !message;
}

function show(section: 'login' | 'data' | 'status', visible: boolean): void {
  $(`${section}-section`).hidden = !visible;
}

function savedCredentials(): Credentials | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(CREDENTIALS) ?? 'null') as Partial<Credentials> | null;
    return typeof value?.clientId === 'string' && typeof value.token === 'string'
      ? { clientId: value.clientId, token: value.token }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A one-time enrolment link `/join#enrol=CODE`: trade the code for credentials, then drop it from the address. */
async function enrol(): Promise<Credentials | undefined> {
  const code = new URLSearchParams(location.hash.slice(1)).get('enrol');
  if (!code) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  const response = await fetch('/join/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<Credentials> & { message?: string };
  if (!response.ok || typeof body.clientId !== 'string' || typeof body.token !== 'string') {
    throw new Error(`enrolment refused: ${body.message ?? `HTTP ${response.status}`}`);
  }
  return { clientId: body.clientId, token: body.token };
}

/** What the run does for privacy, and what this browser has spent when it keeps a ledger. */
function privacyText(task: ParticipantTask, spent?: { epsilon: number; delta: number }): string {
  const hiding = task.secureAggregation
    ? 'Secure aggregation is on: the server sees only the sum of the updates. '
    : '';
  const dp = task.privacy.dp
    ? `Differential privacy (${task.privacy.mechanism}).`
    : 'No differential privacy in this run.';
  const ledger = spent ? ` This browser has spent ε = ${spent.epsilon.toFixed(3)} (δ = ${spent.delta}).` : '';
  return hiding + dp + ledger;
}

function describeTask(task: ParticipantTask): void {
  const data =
    task.data === 'images-idx'
      ? 'two IDX files picked together: the images (e.g. train-images-idx3-ubyte, gzipped or not) and their labels'
      : "one CSV file in the run's schema (the stroke table: id, gender, age, …, stroke)";
  text('run', `Run ${task.runId}: model ${task.model.name}, ${task.model.numClasses} classes`);
  text('data-help', `Pick ${data}.`);
  $<HTMLInputElement>('data-files').accept = task.data === 'images-idx' ? '' : '.csv,.gz,text/csv';
  text('privacy', privacyText(task));
}

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const dataSeed = Number(query.get('data-seed') ?? 0);
  if (!Number.isSafeInteger(dataSeed) || dataSeed < 0) {
    throw new Error(`data-seed in the page address must be an integer >= 0, got "${query.get('data-seed')}"`);
  }
  const backend = query.get('backend') === 'webgl' ? 'webgl' : 'wasm';
  const task = (await (await fetch('/join/task.json')).json()) as ParticipantTask;
  describeTask(task);
  const worker = new Worker('/join/assets/worker.js', { type: 'module' });
  const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
  let credentials = savedCredentials();

  const setState = (state: string) => {
    text('state', state);
    document.body.dataset.state = state;
  };
  const begin = (files?: PickedFileMessage[]) => {
    if (!credentials) return;
    show('login', false);
    show('status', true);
    text('who', credentials.clientId);
    send(
      { type: 'start', ...credentials, task, dataSeed, backend, ...(files ? { files } : {}) },
      files?.map((f) => f.bytes),
    );
  };
  const signedIn = (value: Credentials) => {
    credentials = value;
    sessionStorage.setItem(CREDENTIALS, JSON.stringify(value));
    begin();
  };
  const signOut = () => {
    credentials = undefined;
    sessionStorage.removeItem(CREDENTIALS);
    show('status', false);
    show('data', false);
    show('login', true);
  };

  const metrics: Record<string, unknown> = {};
  let dataReady = false;
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    switch (m.type) {
      case 'state':
        setState(m.state);
        if (m.state === 'refused') {
          showError(refusalText(m.detail));
          signOut();
        } else if (m.state === 'connected') showError(undefined);
        return;
      case 'need-files':
        show('data', true);
        return;
      case 'data':
        dataReady = true;
        show('data', false);
        text('data-summary', m.summary);
        return;
      case 'backend':
        return void text('backend', m.backend);
      case 'cached-round':
        return void text('cached-round', m.round === undefined ? '' : String(m.round));
      case 'round':
        text('round', String(m.round));
        text('progress', '');
        return;
      case 'answered':
        document.body.dataset.round = String(m.round);
        return;
      case 'progress':
        return void text('progress', `epoch ${m.epoch} of ${m.epochs}`);
      case 'metrics':
        metrics[m.kind] = {
          round: m.round,
          ...Object.fromEntries(Object.entries(m.values).map(([k, v]) => [k, Number(v.toPrecision(4))])),
        };
        return void text('metrics', JSON.stringify(metrics, null, 1));
      case 'privacy':
        return void text('privacy', privacyText(task, m));
      case 'bytes':
        text('bytes-sent', String(m.sent));
        text('bytes-received', String(m.received));
        return;
      case 'error':
        showError(refusalText(m.message));
        // Files that cannot train: pick others.
        if (!dataReady) show('data', true);
        return;
      case 'left':
        dataReady = false;
        signOut();
        setState('connecting');
        return;
    }
  };

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showError(undefined);
    signedIn({
      clientId: $<HTMLInputElement>('client-id').value.trim(),
      token: $<HTMLInputElement>('token').value,
    });
    $<HTMLInputElement>('token').value = '';
  });
  $('start').addEventListener('click', () => {
    void (async () => {
      const picked = Array.from($<HTMLInputElement>('data-files').files ?? []);
      if (picked.length === 0) return showError('pick your data file(s) first');
      showError(undefined);
      begin(await Promise.all(picked.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() }))));
    })();
  });
  $('leave').addEventListener('click', () => {
    if (credentials) send({ type: 'leave', clientId: credentials.clientId });
  });

  try {
    const enrolled = await enrol();
    if (enrolled) credentials = enrolled;
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
  }
  if (credentials) signedIn(credentials);
  else show('login', true);
}

/** The server's refusal, with what the participant can do about a credential it did not accept. */
function refusalText(detail: string | undefined): string {
  const message = detail ?? 'the server refused this client';
  return /AUTH_FAILED/.test(message)
    ? `${message}. Check the name and token your operator gave you, or ask them for a new enrolment link.`
    : message;
}

main().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
