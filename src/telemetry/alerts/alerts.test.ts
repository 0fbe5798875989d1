/**
 * The anomaly rules on a real typed emitter fed the engine's event shapes: each rule raises once when its condition
 * becomes true, stays quiet while it holds, resolves when it stops, and never fires for normal rounds.
 */
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../core/index.js';
import {
  AlertBus,
  DEFAULT_ALERT_RULES,
  attachAlerts,
  robustScores,
  percentile,
  type AlertEvent,
  type AlertNotice,
  type AlertRules,
  type AlertSourceEvents,
  type ConnectionEvents,
} from './index.js';

function setup(rules: Partial<AlertRules> = {}, options: { waitingAtStart?: boolean } = {}) {
  const events = new TypedEmitter<AlertSourceEvents>();
  const connections = new TypedEmitter<ConnectionEvents>();
  const bus = new AlertBus();
  const alerts: AlertEvent[] = [];
  const resolved: string[] = [];
  const notices: AlertNotice[] = [];
  bus.on('alert', (a) => alerts.push(a));
  bus.on('resolved', (r) => resolved.push(`${r.rule} ${r.clientId ?? ''}`.trim()));
  bus.on('notice', (n) => notices.push(n));
  const monitor = attachAlerts(events, { ...DEFAULT_ALERT_RULES, ...rules }, bus, {
    connections,
    ...options,
  });
  return { events, connections, alerts, resolved, notices, monitor };
}

type Emitter = TypedEmitter<AlertSourceEvents>;

/** One fit round: each client's update norm and fit time; `failed` clients did not deliver. */
function fitRound(
  events: Emitter,
  round: number,
  clients: Record<string, { norm?: number; ms?: number }>,
  options: { failed?: string[]; loss?: number; accuracy?: number } = {},
) {
  const ids = Object.keys(clients);
  const failed = options.failed ?? [];
  events.emit('round-started', { round, attempt: 1, selected: [...ids, ...failed] });
  for (const [clientId, { norm, ms }] of Object.entries(clients)) {
    events.emit('client-result', {
      round,
      phase: 'fit',
      clientId,
      durationMs: ms ?? 100,
      ...(norm !== undefined ? { updateNorm: norm } : {}),
    });
  }
  for (const clientId of failed) {
    events.emit('client-failed', {
      round,
      phase: 'fit',
      failure: { clientId, cause: 'timeout', message: 'no reply' },
    });
  }
  events.emit('round-committed', {
    record: {
      round,
      selected: [...ids, ...failed],
      failures: failed.map((clientId) => ({ clientId })),
      train: { metrics: { ...(options.loss !== undefined ? { loss: options.loss } : {}) } },
      ...(options.accuracy !== undefined || options.loss !== undefined
        ? {
            serverEvaluation: {
              loss: options.loss ?? 0.5,
              metrics: options.accuracy !== undefined ? { accuracy: options.accuracy } : {},
            },
          }
        : {}),
    },
  });
}

const honest = (scale = 1) => ({
  a: { norm: 1.0 * scale },
  b: { norm: 1.2 * scale },
  c: { norm: 0.9 * scale },
  d: { norm: 1.1 * scale },
});

describe('robust statistics', () => {
  it('scores an outlier far from the median, and equal values zero', () => {
    const { median, scores } = robustScores([1, 1.2, 0.9, 1.1, 10]);
    expect(median).toBeCloseTo(1.1);
    expect(scores[4]).toBeGreaterThan(20);
    expect(Math.max(...scores.slice(0, 4))).toBeLessThan(2);
    expect(robustScores([2, 2, 2]).scores).toEqual([0, 0, 0]);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });
});

describe('update-norm-outlier', () => {
  it('raises once for a client whose update norm is far outside the round, and resolves when it returns', () => {
    const { events, alerts, resolved } = setup();
    fitRound(events, 1, { ...honest(), e: { norm: 10 } });
    fitRound(events, 2, { ...honest(), e: { norm: 12 } });
    expect(alerts.map((a) => [a.rule, a.clientId, a.round, a.severity])).toEqual([
      ['update-norm-outlier', 'e', 1, 'warning'],
    ]);
    expect(alerts[0]!.value).toBeGreaterThan(DEFAULT_ALERT_RULES.updateNormMads);
    expect(alerts[0]!.message).toMatch(/client "e" sent an update of L2 norm 10\.0 in round 1/);
    fitRound(events, 3, { ...honest(), e: { norm: 1 } });
    expect(resolved).toEqual(['update-norm-outlier e']);
  });

  it('says once that it is skipped when results carry no norms (secure aggregation), and raises nothing', () => {
    const { events, alerts, notices } = setup();
    fitRound(events, 1, { a: {}, b: {}, c: {}, d: {} });
    fitRound(events, 2, { a: {}, b: {}, c: {}, d: {} });
    expect(alerts).toEqual([]);
    expect(notices).toEqual([
      { rule: 'update-norm-outlier', message: expect.stringMatching(/secure or homomorphic aggregation/) },
    ]);
  });

  it('is quiet for honest spread, for fewer than three results, and when disabled', () => {
    const { events, alerts } = setup();
    for (let round = 1; round <= 5; round++) fitRound(events, round, honest(round));
    fitRound(events, 6, { a: { norm: 1 }, b: { norm: 50 } });
    expect(alerts).toEqual([]);
    const off = setup({ disabled: ['update-norm-outlier'] });
    fitRound(off.events, 1, { ...honest(), e: { norm: 10 } });
    expect(off.alerts).toEqual([]);
  });
});

describe('stragglers and dropout', () => {
  it('raises a straggler past factor x the percentile fit time (and 1 s at least)', () => {
    const { events, alerts } = setup();
    fitRound(events, 1, { a: { ms: 1000 }, b: { ms: 1100 }, c: { ms: 900 }, d: { ms: 5000 } });
    // 3 x a 10 ms median is only timer noise: not a straggler.
    fitRound(events, 2, { a: { ms: 10 }, b: { ms: 11 }, c: { ms: 9 }, e: { ms: 100 } });
    expect(alerts.map((a) => [a.rule, a.clientId])).toEqual([['straggler', 'd']]);
    expect(alerts[0]!.message).toMatch(/took 5\.0 s to train in round 1, more than 3 x the round's p50/);
  });

  it('raises dropout when more than the fraction of selected clients failed', () => {
    const { events, alerts, resolved } = setup();
    fitRound(events, 1, { a: {}, b: {} }, { failed: ['c'] });
    fitRound(events, 2, { a: {} }, { failed: ['b', 'c'] });
    fitRound(events, 3, { a: {}, b: {}, c: {} });
    expect(alerts.map((a) => [a.rule, a.round, a.value])).toEqual([['dropout', 2, 2 / 3]]);
    expect(resolved).toEqual(['dropout']);
  });
});

describe('loss and accuracy', () => {
  it('raises loss-non-finite for a diverged client and for a non-finite round loss', () => {
    const { events, alerts, resolved } = setup();
    events.emit('round-started', { round: 1, attempt: 1, selected: ['a', 'b'] });
    for (let i = 0; i < 2; i++) {
      events.emit('client-failed', {
        round: 1,
        phase: 'fit',
        failure: {
          clientId: 'b',
          cause: 'non-finite',
          message: 'NON_FINITE: trainer.fit reported a non-finite loss (NaN)',
        },
      });
    }
    events.emit('client-result', { round: 2, phase: 'fit', clientId: 'b', durationMs: 5 });
    fitRound(events, 3, { a: {} }, { loss: NaN });
    expect(alerts.map((a) => [a.rule, a.clientId, a.severity])).toEqual([
      ['loss-non-finite', 'b', 'critical'],
      ['loss-non-finite', undefined, 'critical'],
    ]);
    expect(resolved).toEqual(['loss-non-finite b']);
  });

  it('raises loss-divergence above the factor times the lowest loss, and accuracy-drop below the best', () => {
    const { events, alerts, resolved } = setup();
    fitRound(events, 1, { a: {} }, { loss: 1.0, accuracy: 0.6 });
    fitRound(events, 2, { a: {} }, { loss: 0.4, accuracy: 0.8 });
    fitRound(events, 3, { a: {} }, { loss: 0.7, accuracy: 0.75 });
    fitRound(events, 4, { a: {} }, { loss: 0.9, accuracy: 0.65 });
    fitRound(events, 5, { a: {} }, { loss: 1.2, accuracy: 0.6 });
    fitRound(events, 6, { a: {} }, { loss: 0.5, accuracy: 0.79 });
    expect(alerts.map((a) => [a.rule, a.round])).toEqual([
      ['loss-divergence', 4],
      ['accuracy-drop', 4],
    ]);
    expect(resolved).toEqual(['loss-divergence', 'accuracy-drop']);
  });
});

describe('privacy, waiting and flapping', () => {
  it('warns at 80% of the budget and raises exhaustion once', () => {
    const { events, alerts } = setup();
    for (const [round, epsilon] of [
      [1, 0.5],
      [2, 0.85],
      [3, 0.9],
    ] as const) {
      events.emit('privacy-spent', { round, epsilon, budget: { epsilon: 1 } });
    }
    events.emit('run-finished', {
      status: 'budget-exhausted',
      reason: 'round 4 would spend epsilon 1.05',
      lastRound: 3,
    });
    expect(alerts.map((a) => [a.rule, a.round, a.severity])).toEqual([
      ['privacy-budget-warning', 2, 'warning'],
      ['privacy-budget-exhausted', 3, 'critical'],
    ]);
  });

  it('raises waiting-for-clients when a wait outlasts the threshold, not when the round starts in time', async () => {
    const { events, alerts, resolved } = setup({ waitingMs: 50 }, { waitingAtStart: true });
    events.emit('run-started', { startRound: 1 });
    events.emit('waiting-for-clients', { round: 2, needed: 3, connected: 1 });
    await expect.poll(() => alerts.length, { timeout: 10_000 }).toBe(1);
    expect(alerts[0]).toMatchObject({ rule: 'waiting-for-clients', round: 2 });
    events.emit('round-started', { round: 2, attempt: 1, selected: ['a'] });
    expect(resolved).toEqual(['waiting-for-clients']);
    const quick = setup({ waitingMs: 60_000 });
    quick.events.emit('waiting-for-clients', { round: 1, needed: 2, connected: 0 });
    quick.events.emit('round-started', { round: 1, attempt: 1, selected: ['a', 'b'] });
    quick.monitor.detach();
    expect(quick.alerts).toEqual([]);
  });

  it('raises client-flapping at N disconnects within the window, once, and lists it as firing', () => {
    const { connections, alerts, monitor } = setup({ flappingDisconnects: 3 });
    for (let i = 0; i < 5; i++) {
      connections.emit('client-connected', { clientId: 'flappy' });
      connections.emit('client-disconnected', { clientId: 'flappy', reason: 'socket closed' });
    }
    connections.emit('client-connected', { clientId: 'steady' });
    connections.emit('client-disconnected', { clientId: 'steady', reason: 'socket closed' });
    expect(alerts.map((a) => [a.rule, a.clientId, a.value])).toEqual([['client-flapping', 'flappy', 3]]);
    expect(monitor.firing().map((a) => a.rule)).toEqual(['client-flapping']);
  });
});
