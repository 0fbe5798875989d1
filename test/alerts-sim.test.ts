/**
 * Injected anomalies in real simulations (engine, codec, client runtime, the library's `simulate`) raise exactly the
 * expected alerts: one client whose update is scaled by the attack suite, one client whose trainer reports a NaN
 * loss, and a DP run reaching its budget. Every other rule stays quiet on these runs.
 */
import { describe, expect, it } from 'vitest';
import type { FitConfig, FitOutput, ParameterSet } from '../src/index.js';
import { resolveRunConfig } from '../src/cli/run-config.js';
import { readRunSettings } from '../src/public/settings.js';
import { simulate } from '../src/public/sim.js';
import { simulateTrainers } from '../src/sim/simulate.js';
import { RunAlerts } from '../src/telemetry/index.js';
import { SoftmaxTrainer, softmaxParameters } from './support/softmax-trainer.js';

/** A small MNIST federation, every client in every round. */
const SMALL = {
  trainLimit: 800,
  fraction: 1,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  backend: 'cpu',
  workers: 1,
  seed: 7,
} as const;

const summary = (alerts: readonly { rule: string; clientId?: string }[]) =>
  alerts.map((a) => `${a.rule} ${a.clientId ?? ''}`.trim());

describe('alerts in simulation', () => {
  it('a client whose update is scaled x10 raises update-norm-outlier for that client alone, once', async () => {
    const report = await simulate({
      settings: {
        ...SMALL,
        clients: 8,
        rounds: 3,
        partition: 'iid',
        // The robust rule keeps the model sound; the alert says who sent what it discarded.
        strategy: 'median',
        attack: 'scale',
        attackers: 0.125,
        attackScale: 10,
      },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
    });
    expect(report.status).toBe('completed');
    expect(report.attackers).toHaveLength(1);
    const attacker = report.attackers[0]!;
    expect(summary(report.alerts)).toEqual([`update-norm-outlier ${attacker}`]);
    const [alert] = report.alerts;
    expect(alert).toMatchObject({ severity: 'warning', round: 1, threshold: 5 });
    expect(alert!.value).toBeGreaterThan(20);
    expect(alert!.message).toMatch(new RegExp(`client "${attacker}" sent an update of L2 norm`));
  });

  it('a trainer that returns a NaN loss raises loss-non-finite for its client alone, once', async () => {
    const report = await simulate({
      settings: { ...SMALL, clients: 4, rounds: 3, minResults: 0.5 },
      trainer: ({ id, train, test }) => {
        const honest = new SoftmaxTrainer(train, test);
        if (id !== 'client-2') return honest;
        return {
          fit: async (params: ParameterSet, config: FitConfig): Promise<FitOutput> => {
            const out = await honest.fit(params, config);
            return { ...out, metrics: { ...out.metrics, loss: NaN } };
          },
          evaluate: (params) => honest.evaluate(params),
        };
      },
      initialParameters: softmaxParameters(784, 10),
    });
    expect(report.status).toBe('completed');
    // The diverged client fails every round (cause non-finite); the others commit them.
    expect(report.history.map((r) => r.failures.map((f) => `${f.clientId} ${f.cause}`))).toEqual([
      ['client-2 non-finite'],
      ['client-2 non-finite'],
      ['client-2 non-finite'],
    ]);
    expect(summary(report.alerts)).toEqual(['loss-non-finite client-2']);
    expect(report.alerts[0]).toMatchObject({ severity: 'critical', round: 1 });
    expect(report.alerts[0]!.message).toMatch(/trainer\.fit reported a non-finite loss \(NaN\)/);
  });

  it('a DP run warns at 80% of its budget and raises exhaustion when it stops, nothing else', async () => {
    const report = await simulate({
      settings: { ...SMALL, clients: 4, rounds: 40, dp: 'central', targetEpsilon: 3, noiseMultiplier: 8 },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
    });
    expect(report.status).toBe('budget-exhausted');
    const firstAt80 = report.history.find((r) => r.privacy!.epsilon >= 0.8 * 3)!.round;
    expect(report.alerts.map((a) => [a.rule, a.severity, a.round])).toEqual([
      ['privacy-budget-warning', 'warning', firstAt80],
      ['privacy-budget-exhausted', 'critical', report.lastRound],
    ]);
    expect(firstAt80).toBeLessThan(report.lastRound);
  });

  it('alerts: false turns every rule off', async () => {
    const report = await simulate({
      settings: { ...SMALL, clients: 4, rounds: 1, attack: 'scale', attackers: 0.25, alerts: false },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
    });
    expect(report.alerts).toEqual([]);
  });
});

describe('alerts under secure aggregation', () => {
  it('update-norm-outlier says it is skipped (no single update is seen) and raises nothing for a scaled update', async () => {
    const notices: string[] = [];
    const settings = readRunSettings({
      ...SMALL,
      dataset: 'mnist',
      clients: 4,
      rounds: 2,
      partition: 'iid',
      attack: 'scale',
      attackers: 0.25,
      secureAggregation: true,
    });
    const config = resolveRunConfig(settings);
    const alerts = new RunAlerts(config.alerts!);
    const raised: string[] = [];
    alerts.bus.on('alert', (a) => raised.push(a.rule));
    alerts.bus.on('notice', (n) => notices.push(`${n.rule}: ${n.message}`));
    const { result } = await simulateTrainers({
      scenario: config.scenario,
      backend: 'cpu',
      workers: 1,
      engine: config.engine,
      strategy: config.strategy,
      attack: config.attack!,
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParams: softmaxParameters(784, 10),
      subscribe: (events) => alerts.attach(events),
    });
    await alerts.close();
    expect(result.status).toBe('completed');
    expect(raised).toEqual([]);
    expect(notices).toEqual([
      "update-norm-outlier: skipped: under secure or homomorphic aggregation the server never sees a client's update, so its norm is unknown",
    ]);
  });
});
