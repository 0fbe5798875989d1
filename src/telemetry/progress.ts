/**
 * Terminal progress for a run: round, participants, loss, accuracy (next to the majority-class baseline), elapsed
 * time and ETA. On a TTY it keeps one live line, rewritten as clients report; on anything else (a log file, CI, a
 * pipe) it prints one plain line per committed round, retry and end of run, and in rounds of many clients a line
 * every tenth of the round's clients, so a log never sits silent through a long round. It only writes to the stream
 * it is given: no console, no `node:`.
 */
import { accuracyVersusMajority } from './baseline.js';
import { remainingMs } from './eta.js';
import { headlineMetrics, type PrivacySpentView, type RunEventSource, type RunEvents } from './run-events.js';

/** Off a TTY, rounds with at least this many selected clients also get a line per tenth of their clients. */
export const CLIENT_LINES_FROM = 20;
const CLIENT_LINES_PER_ROUND = 10;

export interface ProgressStream {
  write(text: string): void;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  /** Milliseconds clock; injectable so tests get exact elapsed and ETA values. */
  readonly now?: () => number;
}

/** "850ms", "12.3s", "4m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalSeconds = Math.round(s);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const sec = totalSeconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

const CLEAR_LINE = '\r\x1b[2K';

/** "eps 1.234/3 (delta 1e-5)": spending so far, against the budget when there is one. */
export function formatEpsilon(spent: PrivacySpentView): string {
  const budget = spent.budget ? `/${spent.budget.epsilon}` : '';
  return `eps ${spent.epsilon.toFixed(3)}${budget} (delta ${spent.delta})`;
}

export class ProgressRenderer {
  private readonly now: () => number;
  private start = 0;
  private firstRound = 1;
  private lastRound = 1;
  private committed = 0;
  /** Last committed round's summary, kept on the live line while the next round trains. */
  private summary = '';
  private roundTotal = 0;
  private roundDone = 0;
  private roundFailed = 0;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  attach(source: RunEventSource): () => void {
    const offs = [
      source.on('run-started', (e) => this.onStarted(e)),
      source.on('round-started', (e) => this.onRoundStarted(e)),
      source.on('client-result', (e) => this.onClient(e.phase, false)),
      source.on('client-failed', (e) => this.onClient(e.phase, true)),
      source.on('round-retried', (e) => this.onRetried(e)),
      source.on('round-committed', (e) => this.onCommitted(e)),
      source.on('run-finished', (e) => this.onFinished(e)),
    ];
    return () => offs.forEach((off) => off());
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** On a TTY rewrites the live line; otherwise prints `text` as its own line when `plain` is set. */
  private show(text: string, plain: boolean): void {
    if (this.tty) this.stream.write(CLEAR_LINE + text);
    else if (plain) this.stream.write(text + '\n');
  }

  private onStarted(e: RunEvents['run-started']): void {
    this.start = this.now();
    this.firstRound = e.startRound;
    this.lastRound = e.rounds;
    const from = e.startRound > 1 ? `rounds ${e.startRound}-${e.rounds}` : `${e.rounds} rounds`;
    this.stream.write(
      `${e.strategy}: ${from}, ${e.availableClients} clients, ${e.numParameters.toLocaleString('en-US')} parameters\n`,
    );
  }

  private onRoundStarted(e: RunEvents['round-started']): void {
    this.roundTotal = e.selected.length;
    this.roundDone = 0;
    this.roundFailed = 0;
    this.show(this.liveText(e.round), false);
  }

  private onClient(phase: string, failed: boolean): void {
    if (phase !== 'fit') return;
    this.roundDone++;
    if (failed) this.roundFailed++;
    if (this.tty) this.show(this.liveText(), false);
    else if (this.roundTotal >= CLIENT_LINES_FROM && this.roundDone < this.roundTotal) {
      const step = Math.ceil(this.roundTotal / CLIENT_LINES_PER_ROUND);
      if (this.roundDone % step === 0) this.stream.write(`${this.clientLine()}\n`);
    }
  }

  /** "round 3/30 training 40/200, 1 failed  elapsed 1m02s": a long round's plain line between its commits. */
  private clientLine(): string {
    const failed = this.roundFailed > 0 ? `, ${this.roundFailed} failed` : '';
    const round = `round ${this.committedRound() + 1}/${this.lastRound}`;
    return `${round} training ${this.roundDone}/${this.roundTotal}${failed}  elapsed ${formatDuration(this.now() - this.start)}`;
  }

  private liveText(round?: number): string {
    const failed = this.roundFailed > 0 ? `, ${this.roundFailed} failed` : '';
    const current = `round ${round ?? this.committedRound() + 1}/${this.lastRound} training ${this.roundDone}/${this.roundTotal}${failed}`;
    return this.summary ? `${this.summary} | ${current}` : current;
  }

  private committedRound(): number {
    return this.firstRound + this.committed - 1;
  }

  private onRetried(e: RunEvents['round-retried']): void {
    const text = `round ${e.round}/${this.lastRound} retrying (${e.attemptsLeft} attempt(s) left): ${e.failed.reason}`;
    if (this.tty) this.stream.write(`${CLEAR_LINE}${text}\n`);
    else this.stream.write(text + '\n');
  }

  private onCommitted(e: RunEvents['round-committed']): void {
    const { record } = e;
    this.committed++;
    const elapsed = this.now() - this.start;
    const eta = remainingMs(elapsed, this.committed, this.lastRound - record.round);
    const metrics = headlineMetrics(record);
    const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
    const parts = [
      `round ${record.round}/${this.lastRound}`,
      `clients ${record.participants.length}/${record.selected.length}`,
      ...(metrics.loss !== undefined ? [`${metrics.source} loss ${metrics.loss.toFixed(4)}`] : []),
      ...(metrics.accuracy !== undefined
        ? [`acc ${accuracyVersusMajority(metrics.accuracy, metrics.majorityAccuracy, percent)}`]
        : []),
      ...(record.privacy ? [formatEpsilon(record.privacy)] : []),
      `elapsed ${formatDuration(elapsed)}`,
      `eta ${formatDuration(eta)}`,
    ];
    this.summary = parts.join('  ');
    this.show(this.summary, true);
  }

  private onFinished(e: RunEvents['run-finished']): void {
    const took = formatDuration(e.durationMs);
    const text =
      e.status === 'completed'
        ? `done: ${this.committed} round(s) in ${took}`
        : e.status === 'budget-exhausted'
          ? `stopped after round ${e.lastRound} (${took}): ${e.reason ?? 'privacy budget exhausted'}`
          : e.status === 'aborted'
            ? `aborted after round ${e.lastRound} (${took})`
            : `failed after round ${e.lastRound}: ${e.error ? `${e.error.code}: ${e.error.message}` : 'unknown error'}`;
    // On a TTY the live line ends with the last round's summary; keep it and put the outcome below.
    this.stream.write(
      this.tty ? `${CLEAR_LINE}${this.summary ? this.summary + '\n' : ''}${text}\n` : `${text}\n`,
    );
  }
}
