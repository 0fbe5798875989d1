/**
 * Rules judged per attempt at a round, when it commits or is retried: a client's update norm far outside the
 * round's robust spread, stragglers, the dropout fraction; and diverged training (non-finite losses) as it is seen.
 */
import type { AlertState } from './state.js';
import { percentile, robustScores } from './stats.js';
import type { AlertEventSource } from './types.js';

/** A straggler is also at least this much slower than the percentile: timer noise on fast rounds is no straggler. */
const STRAGGLER_MIN_EXTRA_MS = 1000;
/** Fewer results than this give no spread to judge against. */
const MIN_RESULTS = 3;

interface AttemptSeen {
  round: number;
  readonly norms: Map<string, number>;
  readonly fitMs: Map<string, number>;
  withoutNorm: number;
}

export function attachRoundRules(events: AlertEventSource, state: AlertState): () => void {
  const { rules } = state;
  let seen: AttemptSeen = { round: 0, norms: new Map(), fitMs: new Map(), withoutNorm: 0 };

  const judgeNorms = () => {
    if (seen.withoutNorm > 0 && seen.norms.size === 0) {
      state.notice(
        'update-norm-outlier',
        "skipped: under secure or homomorphic aggregation the server never sees a client's update, so its norm is unknown",
      );
      return;
    }
    if (seen.norms.size < MIN_RESULTS) return;
    const ids = [...seen.norms.keys()];
    const { median, scores } = robustScores([...seen.norms.values()]);
    ids.forEach((clientId, i) => {
      const score = scores[i]!;
      if (!(score > rules.updateNormMads)) {
        state.resolve('update-norm-outlier', clientId, seen.round);
        return;
      }
      const norm = seen.norms.get(clientId)!;
      state.raise({
        rule: 'update-norm-outlier',
        severity: 'warning',
        round: seen.round,
        clientId,
        message: `client "${clientId}" sent an update of L2 norm ${norm.toPrecision(3)} in round ${seen.round}, ${score.toFixed(1)} robust deviations from the round's median ${median.toPrecision(3)} (threshold ${rules.updateNormMads})`,
        value: score,
        threshold: rules.updateNormMads,
      });
    });
  };

  const judgeStragglers = () => {
    if (seen.fitMs.size < MIN_RESULTS) return;
    const p = percentile([...seen.fitMs.values()], rules.stragglerPercentile);
    const limit = Math.max(rules.stragglerFactor * p, p + STRAGGLER_MIN_EXTRA_MS);
    for (const [clientId, ms] of seen.fitMs) {
      if (!(ms > limit)) {
        state.resolve('straggler', clientId, seen.round);
        continue;
      }
      state.raise({
        rule: 'straggler',
        severity: 'warning',
        round: seen.round,
        clientId,
        message: `client "${clientId}" took ${(ms / 1000).toFixed(1)} s to train in round ${seen.round}, more than ${rules.stragglerFactor} x the round's p${rules.stragglerPercentile} fit time (${(p / 1000).toFixed(1)} s)`,
        value: ms,
        threshold: limit,
      });
    }
  };

  const judgeDropout = (round: number, selected: number, failed: number) => {
    if (selected === 0) return;
    const fraction = failed / selected;
    if (!(fraction > rules.dropoutFraction)) {
      state.resolve('dropout', undefined, round);
      return;
    }
    state.raise({
      rule: 'dropout',
      severity: 'warning',
      round,
      message: `${failed} of ${selected} selected clients failed in round ${round} (${(fraction * 100).toFixed(0)}%, threshold ${(rules.dropoutFraction * 100).toFixed(0)}%)`,
      value: fraction,
      threshold: rules.dropoutFraction,
    });
  };

  const judgeAttempt = (round: number, selected: number, failed: number) => {
    seen.round = round;
    judgeNorms();
    judgeStragglers();
    judgeDropout(round, selected, failed);
  };

  const removers = [
    events.on('round-started', ({ round }) => {
      seen = { round, norms: new Map(), fitMs: new Map(), withoutNorm: 0 };
    }),
    events.on('client-result', (e) => {
      if (e.phase !== 'fit') return;
      // A valid result ends that client's diverged training, whatever the protocol.
      state.resolve('loss-non-finite', e.clientId, e.round);
      seen.fitMs.set(e.clientId, e.durationMs);
      if (e.updateNorm === undefined) seen.withoutNorm++;
      else seen.norms.set(e.clientId, e.updateNorm);
    }),
    events.on('client-failed', ({ round, phase, failure }) => {
      if (failure.cause !== 'non-finite') return;
      state.raise({
        rule: 'loss-non-finite',
        severity: 'critical',
        round,
        clientId: failure.clientId,
        message: `client "${failure.clientId}" diverged in round ${round} (${phase}): ${failure.message}`,
      });
    }),
    events.on('round-retried', ({ round, failed }) =>
      judgeAttempt(round, failed.selected.length, failed.failures.length),
    ),
    events.on('round-committed', ({ record }) =>
      judgeAttempt(record.round, record.selected.length, record.failures.length),
    ),
  ];
  return () => removers.forEach((remove) => remove());
}
