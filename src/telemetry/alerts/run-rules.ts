/**
 * Rules on the run as a whole: its loss (non-finite, or diverging from the lowest it reached), its accuracy dropping
 * from the best it reached, its privacy budget, and waits for clients that last too long.
 */
import type { MetricValues } from '../../core/index.js';
import type { AlertState } from './state.js';
import type { AlertEventSource, AlertSourceEvents } from './types.js';

type Committed = AlertSourceEvents['round-committed']['record'];

/** The round's headline loss and accuracy with where they come from; sources are never compared with each other. */
function headline(record: Committed): { source: string; loss?: number; accuracy?: number } {
  const federated =
    record.federatedEvaluation && record.federatedEvaluation.participants > 0
      ? record.federatedEvaluation
      : undefined;
  const pick = (source: string, loss: number | undefined, metrics: MetricValues) => ({
    source,
    ...(loss !== undefined ? { loss } : {}),
    ...(metrics['accuracy'] !== undefined ? { accuracy: metrics['accuracy'] } : {}),
  });
  if (record.serverEvaluation) {
    return pick('server evaluation', record.serverEvaluation.loss, record.serverEvaluation.metrics);
  }
  if (federated) return pick('federated evaluation', federated.loss, federated.metrics);
  return pick('training', record.train.metrics['loss'], record.train.metrics);
}

export function attachRunRules(
  events: AlertEventSource,
  state: AlertState,
  options: { readonly waitingAtStart?: boolean } = {},
): () => void {
  const { rules } = state;
  const lowestLoss = new Map<string, number>();
  const bestAccuracy = new Map<string, number>();

  const judgeLoss = (round: number, source: string, loss: number) => {
    if (!Number.isFinite(loss)) {
      state.raise({
        rule: 'loss-non-finite',
        severity: 'critical',
        round,
        message: `the ${source} loss is ${loss} after round ${round}`,
      });
      return;
    }
    state.resolve('loss-non-finite', undefined, round);
    const lowest = Math.min(lowestLoss.get(source) ?? loss, loss);
    lowestLoss.set(source, lowest);
    const limit = rules.lossDivergence * lowest;
    if (!(lowest > 0 && loss > limit)) {
      state.resolve('loss-divergence', undefined, round);
      return;
    }
    state.raise({
      rule: 'loss-divergence',
      severity: 'critical',
      round,
      message: `the ${source} loss ${loss.toPrecision(4)} after round ${round} is above ${rules.lossDivergence} x the lowest it reached (${lowest.toPrecision(4)})`,
      value: loss,
      threshold: limit,
    });
  };

  const judgeAccuracy = (round: number, source: string, accuracy: number) => {
    const best = Math.max(bestAccuracy.get(source) ?? accuracy, accuracy);
    bestAccuracy.set(source, best);
    const drop = best - accuracy;
    if (!(drop > rules.accuracyDrop)) {
      state.resolve('accuracy-drop', undefined, round);
      return;
    }
    state.raise({
      rule: 'accuracy-drop',
      severity: 'warning',
      round,
      message: `the ${source} accuracy ${accuracy.toFixed(4)} after round ${round} is ${drop.toFixed(4)} below the best the run reached (${best.toFixed(4)}; threshold ${rules.accuracyDrop})`,
      value: drop,
      threshold: rules.accuracyDrop,
    });
  };

  let waitTimer: ReturnType<typeof setTimeout> | undefined;
  const startWait = (round?: number) => {
    if (waitTimer !== undefined || !state.enabled('waiting-for-clients')) return;
    const started = Date.now();
    waitTimer = setTimeout(() => {
      const waited = Date.now() - started;
      state.raise({
        rule: 'waiting-for-clients',
        severity: 'warning',
        ...(round !== undefined ? { round } : {}),
        message: `the run has waited ${(waited / 1000).toFixed(0)} s for clients${round !== undefined ? ` before round ${round}` : ' to start'} (threshold ${(rules.waitingMs / 1000).toFixed(0)} s)`,
        value: waited,
        threshold: rules.waitingMs,
      });
    }, rules.waitingMs);
    // A pending wait never keeps a finished process alive.
    (waitTimer as { unref?: () => void }).unref?.();
  };
  const endWait = (round?: number) => {
    clearTimeout(waitTimer);
    waitTimer = undefined;
    state.resolve('waiting-for-clients', undefined, round);
  };
  if (options.waitingAtStart) startWait();

  const removers = [
    events.on('round-committed', ({ record }) => {
      const { source, loss, accuracy } = headline(record);
      if (loss !== undefined) judgeLoss(record.round, source, loss);
      if (accuracy !== undefined) judgeAccuracy(record.round, source, accuracy);
    }),
    events.on('privacy-spent', ({ round, epsilon, budget }) => {
      if (!budget) return;
      const fraction = epsilon / budget.epsilon;
      if (fraction >= rules.privacyWarning) {
        state.raise({
          rule: 'privacy-budget-warning',
          severity: 'warning',
          round,
          message: `epsilon ${epsilon.toFixed(4)} spent after round ${round}: ${(fraction * 100).toFixed(0)}% of the budget ${budget.epsilon}`,
          value: fraction,
          threshold: rules.privacyWarning,
        });
      }
      if (fraction >= 1) {
        state.raise({
          rule: 'privacy-budget-exhausted',
          severity: 'critical',
          round,
          message: `the privacy budget (epsilon ${budget.epsilon}) is spent after round ${round}`,
          value: fraction,
          threshold: 1,
        });
      }
    }),
    events.on('waiting-for-clients', ({ round }) => startWait(round)),
    events.on('run-started', () => endWait()),
    events.on('round-started', ({ round }) => endWait(round)),
    events.on('run-finished', ({ status, reason, lastRound }) => {
      endWait();
      if (status !== 'budget-exhausted') return;
      state.raise({
        rule: 'privacy-budget-exhausted',
        severity: 'critical',
        ...(lastRound > 0 ? { round: lastRound } : {}),
        message: `the run stopped after round ${lastRound}: ${reason ?? 'its privacy budget is spent'}`,
      });
    }),
  ];
  return () => {
    clearTimeout(waitTimer);
    removers.forEach((remove) => remove());
  };
}
