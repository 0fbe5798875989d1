import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../core/index.js';
import { HistoryRecorder } from './history-recorder.js';
import { ProgressRenderer, formatDuration } from './progress.js';
import { attachRoundLog, type RoundLogRecord } from './round-log.js';
import type { RoundRecordView, RunEvents } from './run-events.js';

function record(round: number, loss: number, accuracy: number): RoundRecordView {
  return {
    round,
    attempts: 1,
    selected: ['a', 'b', 'c'],
    participants: ['a', 'b'],
    train: { numExamples: 20, metrics: { loss: loss + 1 } },
    serverEvaluation: { loss, metrics: { accuracy } },
    durations: { totalMs: 10 },
  };
}

const STARTED: RunEvents['run-started'] = {
  config: {},
  strategy: 'fedavg',
  startRound: 1,
  rounds: 2,
  numParameters: 10,
  availableClients: 3,
  startedAt: 0,
};

/** Plays a 2-round run (one retry, one failure) through an emitter, with a clock advancing 1 s per round. */
function play(events: TypedEmitter<RunEvents>, clock: { t: number }): void {
  events.emit('run-started', {
    config: { rounds: 2 },
    strategy: 'fedavg',
    startRound: 1,
    rounds: 2,
    numParameters: 7850,
    availableClients: 3,
    startedAt: Date.UTC(2025, 0, 1),
  });
  events.emit('round-started', { round: 1, attempt: 1, selected: ['a', 'b', 'c'] });
  events.emit('client-result', { round: 1, phase: 'fit', clientId: 'a' });
  events.emit('client-failed', { round: 1, phase: 'fit', failure: { clientId: 'c', cause: 'deadline' } });
  clock.t += 1000;
  events.emit('round-committed', { record: record(1, 0.5, 0.8) });
  events.emit('round-retried', { round: 2, attemptsLeft: 1, failed: { reason: '0 of 3 returned a result' } });
  clock.t += 1000;
  events.emit('round-committed', { record: record(2, 0.25, 0.9) });
  events.emit('run-finished', { status: 'completed', lastRound: 2, durationMs: 2000 });
}

describe('ProgressRenderer', () => {
  it('prints plain lines with loss, accuracy, elapsed and ETA when the stream is not a TTY', () => {
    const events = new TypedEmitter<RunEvents>();
    const clock = { t: 0 };
    let out = '';
    new ProgressRenderer({ write: (s) => (out += s) }, { now: () => clock.t }).attach(events);
    play(events, clock);
    expect(out.split('\n')).toEqual([
      'fedavg: 2 rounds, 3 clients, 7,850 parameters',
      'round 1/2  clients 2/3  server loss 0.5000  acc 80.00%  elapsed 1.0s  eta 1.0s',
      'round 2/2 retrying (1 attempt(s) left): 0 of 3 returned a result',
      'round 2/2  clients 2/3  server loss 0.2500  acc 90.00%  elapsed 2.0s  eta 0ms',
      'done: 2 round(s) in 2.0s',
      '',
    ]);
  });

  it('rewrites one live line on a TTY and ends it with the last summary', () => {
    const events = new TypedEmitter<RunEvents>();
    const clock = { t: 0 };
    const writes: string[] = [];
    new ProgressRenderer({ write: (s) => writes.push(s), isTTY: true }, { now: () => clock.t }).attach(
      events,
    );
    play(events, clock);
    expect(writes).toContain('\r\x1b[2Kround 1/2 training 1/3');
    expect(writes).toContain('\r\x1b[2Kround 1/2 training 2/3, 1 failed');
    const last = writes[writes.length - 1]!;
    expect(last.startsWith('\r\x1b[2Kround 2/2  clients 2/3  server loss 0.2500')).toBe(true);
    expect(last.endsWith('\ndone: 2 round(s) in 2.0s\n')).toBe(true);
    // Live updates do not end lines; only the header, the retry and the end of run do.
    expect(writes.filter((w) => w.endsWith('\n'))).toHaveLength(3);
  });

  it('shows the majority-class baseline next to accuracy and marks a model that does not beat it', () => {
    const events = new TypedEmitter<RunEvents>();
    let out = '';
    new ProgressRenderer({ write: (s) => (out += s) }, { now: () => 0 }).attach(events);
    events.emit('run-started', { ...STARTED, rounds: 2 });
    // A constant "no stroke" predictor on 6.3% positives scores exactly the majority accuracy.
    const constant = record(1, 0.3, 0.937);
    const better = record(2, 0.2, 0.95);
    const withMajority = (r: RoundRecordView) => ({
      ...r,
      serverEvaluation: {
        ...r.serverEvaluation!,
        metrics: { ...r.serverEvaluation!.metrics, majorityAccuracy: 0.937 },
      },
    });
    events.emit('round-committed', { record: withMajority(constant) });
    events.emit('round-committed', { record: withMajority(better) });
    const lines = out.split('\n');
    expect(lines[1]).toContain('acc 93.70% (majority 93.70%: no better)');
    expect(lines[2]).toContain('acc 95.00% (majority 93.70%)');
    expect(lines[2]).not.toContain('no better');
  });

  it('off a TTY prints a line per tenth of the clients of a round with many clients', () => {
    const events = new TypedEmitter<RunEvents>();
    const clock = { t: 0 };
    let out = '';
    new ProgressRenderer({ write: (s) => (out += s) }, { now: () => clock.t }).attach(events);
    const selected = Array.from({ length: 40 }, (_, i) => `c${i}`);
    events.emit('run-started', { ...STARTED, rounds: 3, availableClients: 40 });
    events.emit('round-started', { round: 1, attempt: 1, selected });
    for (const id of selected) {
      clock.t += 100;
      if (id === 'c5') {
        events.emit('client-failed', {
          round: 1,
          phase: 'fit',
          failure: { clientId: id, cause: 'deadline' },
        });
      } else events.emit('client-result', { round: 1, phase: 'fit', clientId: id });
      // Evaluation replies are not training progress.
      events.emit('client-result', { round: 1, phase: 'evaluate', clientId: id });
    }
    const lines = out.split('\n').filter((l) => l.includes('training'));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('round 1/3 training 4/40  elapsed 400ms');
    expect(lines[8]).toBe('round 1/3 training 36/40, 1 failed  elapsed 3.6s');
  });

  it('formats durations', () => {
    expect([850, 12_345, 245_000, 3_720_000].map(formatDuration)).toEqual([
      '850ms',
      '12.3s',
      '4m05s',
      '1h02m',
    ]);
  });
});

describe('attachRoundLog', () => {
  it('gives a log record per committed round with the majority baseline, elapsed time and ETA', () => {
    const events = new TypedEmitter<RunEvents>();
    const clock = { t: 0 };
    const records: RoundLogRecord[] = [];
    attachRoundLog(
      events,
      (r) => records.push(r),
      () => clock.t,
    );
    events.emit('run-started', { ...STARTED, rounds: 3 });
    clock.t += 2000;
    const constant = record(1, 0.3, 0.94);
    events.emit('round-committed', {
      record: {
        ...constant,
        serverEvaluation: { loss: 0.3, metrics: { accuracy: 0.94, majorityAccuracy: 0.94 } },
      },
    });
    expect(records).toEqual([
      {
        event: 'round-committed',
        round: 1,
        rounds: 3,
        participants: 2,
        selected: 3,
        source: 'server',
        loss: 0.3,
        accuracy: 0.94,
        majorityAccuracy: 0.94,
        beatsMajority: false,
        elapsedMs: 2000,
        etaMs: 4000,
      },
    ]);
  });
});

describe('HistoryRecorder', () => {
  it('builds the JSON history: metadata, run info, rounds, retries and failure causes', () => {
    const events = new TypedEmitter<RunEvents>();
    const recorder = new HistoryRecorder({ dataset: 'synthetic' });
    recorder.attach(events);
    play(events, { t: 0 });
    const history = JSON.parse(recorder.json());
    expect(history).toMatchObject({
      format: 'flotilla-run-history',
      version: 1,
      metadata: { dataset: 'synthetic' },
      status: 'completed',
      startedAt: '2025-01-01T00:00:00.000Z',
      strategy: 'fedavg',
      lastPlannedRound: 2,
      numParameters: 7850,
      durationMs: 2000,
      retries: [{ round: 2, reason: '0 of 3 returned a result' }],
      failureCauses: { deadline: 1 },
    });
    expect(history.rounds.map((r: RoundRecordView) => r.round)).toEqual([1, 2]);
  });

  it('records a failed run with its error and stops listening when detached', () => {
    const events = new TypedEmitter<RunEvents>();
    const recorder = new HistoryRecorder();
    const detach = recorder.attach(events);
    events.emit('run-finished', {
      status: 'failed',
      lastRound: 0,
      durationMs: 5,
      error: { code: 'ROUND_FAILED', message: 'round 1 failed' },
    });
    expect(recorder.history()).toMatchObject({ status: 'failed', error: { code: 'ROUND_FAILED' } });
    detach();
    events.emit('round-committed', { record: record(1, 1, 0) });
    expect(recorder.history().rounds).toHaveLength(0);
  });
});
