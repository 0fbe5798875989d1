/**
 * The dashboard's state on a real TypedEmitter standing in for the engine's, pool's and alert bus's emitters (the
 * same class they are): what each event changes, the per-client spread of a round, the privacy projection, and
 * that a page applying the stream's events to the snapshot ends with the server's state.
 */
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../core/index.js';
import { applyLiveEvent, type DashboardState, type LiveEventName } from './dashboard-state.js';
import {
  LiveState,
  type LiveAlertEvents,
  type LiveConnectionEvents,
  type LiveEngineEvents,
} from './live-state.js';
import { projectExhaustion, spreadOf, summarizeRound } from './summary.js';

function record(round: number, participants: string[], loss: number) {
  return {
    round,
    attempts: 1,
    selected: participants,
    participants,
    failures: [],
    train: { numExamples: 20, metrics: { loss: loss + 0.1 } },
    federatedEvaluation: { loss, metrics: { accuracy: 0.8, aucRoc: 0.7 } },
    durations: { totalMs: 50 },
    bytesSent: 1000,
    bytesReceived: 900,
  };
}

describe('summarizeRound', () => {
  it('takes the headline from the server evaluation, else the federated one, else training; NaN becomes a gap', () => {
    expect(summarizeRound(record(3, ['a', 'b'], 0.5))).toMatchObject({
      round: 3,
      source: 'federated',
      loss: 0.5,
      accuracy: 0.8,
      aucRoc: 0.7,
      trainLoss: 0.6,
      participants: 2,
      bytesSent: 1000,
    });
    const server = summarizeRound({ round: 1, serverEvaluation: { loss: NaN, metrics: { accuracy: 0.9 } } });
    expect(server.source).toBe('server');
    expect('loss' in server).toBe(false);
    expect(summarizeRound({ round: 1, train: { metrics: { loss: 0.3 } } })).toMatchObject({
      source: 'train',
      loss: 0.3,
    });
  });
});

describe('spreadOf and projectExhaustion', () => {
  it('spread: min, median (mean of the middle two), max over finite values', () => {
    expect(spreadOf([0.4, NaN, 0.1, 0.3, 0.2])).toEqual({ min: 0.1, median: 0.25, max: 0.4, count: 4 });
    expect(spreadOf([NaN])).toBeUndefined();
  });

  it('projects from the latest round increment; the last round once spent; nothing without growth', () => {
    // +2 per round lately (the earlier, larger increments do not count): 10 left at 2 per round is 5 more rounds.
    expect(
      projectExhaustion(
        [
          { round: 1, epsilon: 5 },
          { round: 2, epsilon: 8 },
          { round: 3, epsilon: 10 },
        ],
        20,
      ),
    ).toBe(8);
    expect(projectExhaustion([{ round: 4, epsilon: 1 }], 3)).toBe(12);
    expect(projectExhaustion([{ round: 4, epsilon: 3.5 }], 3)).toBe(4);
    expect(
      projectExhaustion(
        [
          { round: 1, epsilon: 1 },
          { round: 2, epsilon: 1 },
        ],
        3,
      ),
    ).toBeUndefined();
    expect(projectExhaustion([], 3)).toBeUndefined();
  });
});

describe('LiveState', () => {
  function setUp() {
    const engine = new TypedEmitter<LiveEngineEvents>();
    const pool = new TypedEmitter<LiveConnectionEvents>();
    const alerts = new TypedEmitter<LiveAlertEvents>();
    const live = new LiveState({
      runId: 'r',
      rounds: 5,
      phase: 'waiting',
      storedRounds: [{ committedAt: 1, record: record(1, ['a'], 0.9) }],
      registry: [
        { name: 'a', status: 'active' },
        { name: 'b', status: 'active' },
        { name: 'c', status: 'revoked' },
      ],
      privacy: { mechanism: 'dp-fedavg', epsilon: 1, delta: 1e-5, budget: { epsilon: 4, delta: 1e-5 } },
      serverUsage: () => ({ cpuMs: 10, rssBytes: 2e8, peakRssBytes: 3e8, heapUsedBytes: 1e8 }),
    });
    // What a page would do: take the snapshot, then apply every event it is sent.
    const page = JSON.parse(JSON.stringify(live.state)) as DashboardState;
    const sent: LiveEventName[] = [];
    live.onEvent((name, payload) => {
      sent.push(name);
      applyLiveEvent(page, name, JSON.parse(JSON.stringify(payload)) as never);
    });
    live.attach(engine, pool, alerts);
    return { engine, pool, alerts, live, page, sent };
  }

  it('starts from storage: rounds, participation, registry, privacy', () => {
    const { live } = setUp();
    expect(live.state.run).toMatchObject({ runId: 'r', phase: 'waiting', rounds: 5, lastRound: 1 });
    expect(live.state.rounds.map((r) => r.round)).toEqual([1]);
    expect(live.state.clients['a']).toMatchObject({ rounds: 1, status: 'active', connected: false });
    expect(live.state.clients['c']?.status).toBe('revoked');
    expect(live.state.privacy).toMatchObject({ epsilon: 1, round: 1 });
  });

  it('follows a round: connections, results with resources, a failure, the spread at commit, privacy, alerts', () => {
    const { engine, pool, alerts, live, page, sent } = setUp();
    pool.emit('client-connected', { clientId: 'a', runtime: 'node-20-wasm' });
    pool.emit('client-connected', { clientId: 'b' });
    engine.emit('round-started', { round: 2, attempt: 1, selected: ['a', 'b'] });
    expect(live.state.run).toMatchObject({ phase: 'running', round: 2, selected: 2, results: 0 });
    engine.emit('client-result', {
      round: 2,
      phase: 'fit',
      clientId: 'a',
      numExamples: 10,
      metrics: { loss: 0.2 },
      resources: { fitMs: 40, device: { platform: 'node', cores: 2 } },
      durationMs: 45,
    });
    engine.emit('client-failed', {
      round: 2,
      phase: 'fit',
      failure: { clientId: 'b', cause: 'deadline', message: 'no answer in 10 s' },
    });
    engine.emit('client-result', {
      round: 2,
      phase: 'evaluate',
      clientId: 'a',
      numExamples: 5,
      metrics: { loss: 0.3, accuracy: 0.9 },
      durationMs: 5,
    });
    engine.emit('round-committed', { record: record(2, ['a'], 0.3) });
    engine.emit('privacy-spent', {
      round: 2,
      mechanism: 'dp-fedavg',
      epsilon: 1.5,
      delta: 1e-5,
      budget: { epsilon: 4, delta: 1e-5 },
    });
    alerts.emit('alert', { rule: 'straggler', severity: 'warning', clientId: 'b', message: 'slow', at: 5 });
    alerts.emit('resolved', { rule: 'straggler', clientId: 'b', at: 6 });
    pool.emit('client-disconnected', { clientId: 'b', reason: 'closed' });
    engine.emit('run-finished', { status: 'completed', lastRound: 2 });

    const { state } = live;
    expect(state.run).toMatchObject({
      phase: 'completed',
      lastRound: 2,
      results: 1,
      server: { rssBytes: 2e8 },
    });
    expect(state.clients['a']).toMatchObject({
      connected: true,
      runtime: 'node-20-wasm',
      rounds: 2,
      lastRound: 2,
      resources: { fitMs: 40 },
    });
    expect(state.clients['b']).toMatchObject({
      connected: false,
      failures: { deadline: 1 },
      lastFailure: 'deadline: no answer in 10 s',
    });
    const last = state.rounds.at(-1)!;
    expect(last.spread).toEqual({
      'fit.loss': { min: 0.2, median: 0.2, max: 0.2, count: 1 },
      'evaluate.loss': { min: 0.3, median: 0.3, max: 0.3, count: 1 },
      'evaluate.accuracy': { min: 0.9, median: 0.9, max: 0.9, count: 1 },
    });
    // Epsilon 1.5 after round 2 from nothing recorded before: 0.75 per round, 2.5 left, 4 more rounds.
    expect(state.privacy).toMatchObject({ epsilon: 1.5, round: 2, exhaustedAtRound: 6 });
    expect(state.alerts).toEqual([
      { rule: 'straggler', severity: 'warning', clientId: 'b', message: 'slow', at: 5, resolved: true },
    ]);
    expect(sent).toContain('round-committed');
    // The page that applied the same events to the snapshot agrees with the server.
    expect(page).toEqual(JSON.parse(JSON.stringify(state)));
  });

  it('a new attempt of a round forgets the values of the failed one', () => {
    const { engine, live } = setUp();
    engine.emit('round-started', { round: 2, attempt: 1, selected: ['a'] });
    engine.emit('client-result', {
      round: 2,
      phase: 'fit',
      clientId: 'a',
      numExamples: 1,
      metrics: { loss: 9 },
      durationMs: 1,
    });
    engine.emit('round-started', { round: 2, attempt: 2, selected: ['a'] });
    engine.emit('client-result', {
      round: 2,
      phase: 'fit',
      clientId: 'a',
      numExamples: 1,
      metrics: { loss: 1 },
      durationMs: 1,
    });
    engine.emit('round-committed', { record: record(2, ['a'], 1) });
    expect(live.state.rounds.at(-1)?.spread?.['fit.loss']).toEqual({ min: 1, median: 1, max: 1, count: 1 });
    expect(live.state.run.attempt).toBe(2);
  });
});
