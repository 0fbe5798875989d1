import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../core/index.js';
import { HistoryRecorder } from './history-recorder.js';
import { ProgressRenderer } from './progress.js';
import type { RunEvents } from './run-events.js';

describe('privacy in progress and history', () => {
  it('shows epsilon against the budget, records spending, and reports a budget stop with its reason', () => {
    const events = new TypedEmitter<RunEvents>();
    let out = '';
    new ProgressRenderer({ write: (s) => (out += s) }, { now: () => 0 }).attach(events);
    const recorder = new HistoryRecorder();
    recorder.attach(events);
    const budget = { epsilon: 3, delta: 1e-5 };
    events.emit('run-started', {
      config: {},
      strategy: 'fedavg',
      startRound: 1,
      rounds: 10,
      numParameters: 10,
      availableClients: 4,
      startedAt: 0,
    });
    events.emit('round-committed', {
      record: {
        round: 1,
        attempts: 1,
        selected: ['a'],
        participants: ['a'],
        train: { numExamples: 5, metrics: {} },
        durations: { totalMs: 1 },
        privacy: { epsilon: 1.23456, delta: 1e-5, budget },
      },
    });
    events.emit('privacy-spent', { round: 1, mechanism: 'dp-fedavg', epsilon: 1.23456, delta: 1e-5, budget });
    const reason = 'privacy budget exhausted: round 2 would bring epsilon from 1.2346 to 3.1000';
    events.emit('run-finished', { status: 'budget-exhausted', reason, lastRound: 1, durationMs: 5 });
    expect(out).toContain('round 1/10  clients 1/1  eps 1.235/3 (delta 0.00001)');
    expect(out).toContain(`stopped after round 1 (5ms): ${reason}`);
    const history = recorder.history();
    expect(history.status).toBe('budget-exhausted');
    expect(history.reason).toBe(reason);
    expect(history.privacy).toEqual({
      round: 1,
      mechanism: 'dp-fedavg',
      epsilon: 1.23456,
      delta: 1e-5,
      budget,
    });
  });
});
