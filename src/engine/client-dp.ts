/**
 * Client-side DP modes as a PrivacyPolicy: local DP (each client clips and noises its own update) and DP-SGD (each
 * client trains with per-example clipping and noise). The guarantee is per client, held in each client's own ledger
 * (client/privacy.ts), which also refuses to send an update beyond the client's budget. The server mirrors those
 * ledgers from the results it receives with the same cost function, so that it can report the worst client's
 * epsilon and stop the run before a round would take any client it has seen over the budget, assuming a client's
 * next round costs what its last one did (for local DP every round costs the same, so the check is exact).
 */
import { FlotillaError, type FitConfig } from '../core/index.js';
import {
  PrivacyAccountant,
  clientReleaseCost,
  type LedgerEntry,
  type PrivacyBudget,
} from '../privacy/index.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  RoundAggregator,
  SecureSum,
} from '../strategy/strategy.js';
import {
  assertSameMechanism,
  type PrivacyCheckpoint,
  type PrivacyPolicy,
  type PrivacyRoundPlan,
  type RoundPrivacy,
} from './privacy.js';
import { meanResult } from './secure-aggregation.js';

export type ClientDpOptions = (
  | {
      readonly mode: 'local';
      readonly clipNorm: number;
      readonly noiseMultiplier: number;
    }
  | {
      readonly mode: 'dp-sgd';
      readonly exampleClipNorm: number;
      readonly noiseMultiplier: number;
      readonly sampling?: 'poisson' | 'shuffle';
    }
) & {
  readonly budget?: PrivacyBudget;
  /** Delta at which epsilon is reported; default budget.delta (one of the two is required). */
  readonly delta?: number;
};

interface Participation {
  readonly clientId: string;
  readonly numExamples: number;
  readonly localSteps: number;
}

/** Passes results through to the strategy, noting who took part with how much data. */
class ParticipationRecorder implements RoundAggregator {
  readonly participants: Participation[] = [];

  constructor(private readonly inner: RoundAggregator) {}

  add(result: ClientFitResult): void {
    this.inner.add(result);
    this.record(result);
  }

  addSecureSum(sum: SecureSum): void {
    if (this.inner.addSecureSum) this.inner.addSecureSum(sum);
    else this.inner.add(meanResult(sum));
    for (const contribution of sum.contributions) this.record(contribution);
  }

  private record({ clientId, numExamples, localSteps }: Participation): void {
    this.participants.push({ clientId, numExamples, localSteps });
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    return this.inner.finish(failures);
  }
}

class ClientDpPlan implements PrivacyRoundPlan {
  readonly allowsEmptyRound = false;
  /** The config each client was sent (its batch size enters its DP-SGD cost). */
  readonly configs = new Map<string, FitConfig>();

  constructor(
    readonly round: number,
    readonly epsilonAfter: number,
    private readonly fields: Partial<FitConfig>,
  ) {}

  configure(config: FitConfig, clientId: string): FitConfig {
    const sent = { ...config, ...this.fields };
    this.configs.set(clientId, sent);
    return sent;
  }

  wrap(inner: RoundAggregator): RoundAggregator {
    return new ParticipationRecorder(inner);
  }
}

interface ClientDpState {
  readonly ledgers: Record<string, unknown>;
  readonly lastCost: Record<string, LedgerEntry[]>;
}

export class ClientDpPolicy implements PrivacyPolicy {
  readonly mechanism: 'local-dp' | 'dp-sgd';
  /** No amplification by the server's client sampling is claimed: a client knows it was selected. */
  readonly sampling = undefined;
  /** Each client's update reaches the strategy (clipped and noised by the client under local DP). */
  readonly meanOnly = false;
  readonly exampleLevel: boolean;
  readonly delta: number;
  readonly budget: PrivacyBudget | undefined;
  private readonly fields: Partial<FitConfig>;
  private ledgers = new Map<string, PrivacyAccountant>();
  private lastCost = new Map<string, LedgerEntry[]>();

  /** Client-side DP happens before masking, so it composes with secure aggregation unchanged. */
  secureAggregation(): { readonly unitWeights: boolean } {
    return { unitWeights: false };
  }

  constructor(options: ClientDpOptions) {
    const delta = options.delta ?? options.budget?.delta;
    if (delta === undefined || !(delta > 0 && delta < 1)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `client-side DP needs a delta in (0, 1), got ${String(delta)}`,
      );
    }
    for (const [name, value] of Object.entries(options)) {
      if (typeof value === 'number' && !(value > 0 && Number.isFinite(value))) {
        throw new FlotillaError('CONFIG_INVALID', `${name} must be finite and > 0, got ${value}`);
      }
    }
    this.delta = delta;
    this.budget = options.budget;
    this.mechanism = options.mode === 'local' ? 'local-dp' : 'dp-sgd';
    this.exampleLevel = options.mode === 'dp-sgd';
    this.fields =
      options.mode === 'local'
        ? { clipNorm: options.clipNorm, localNoiseMultiplier: options.noiseMultiplier, privacyDelta: delta }
        : {
            exampleClipNorm: options.exampleClipNorm,
            exampleNoiseMultiplier: options.noiseMultiplier,
            exampleSampling: options.sampling ?? 'poisson',
            privacyDelta: delta,
          };
  }

  planRound(round: number): PrivacyRoundPlan {
    let epsilonAfter = this.spent();
    const check = (ledger: PrivacyAccountant | undefined, cost: readonly LedgerEntry[]) => {
      const after = ledger ? PrivacyAccountant.fromJSON(ledger.toJSON()) : new PrivacyAccountant();
      for (const entry of cost) after.add(entry);
      epsilonAfter = Math.max(epsilonAfter, after.getEpsilon(this.delta).epsilon);
    };
    for (const [clientId, cost] of this.lastCost) check(this.ledgers.get(clientId), cost);
    // Local DP costs every client the same each round, so even a client never seen is checked exactly.
    if (this.mechanism === 'local-dp') check(undefined, clientReleaseCost(this.fields as FitConfig, 1, 1));
    return new ClientDpPlan(round, epsilonAfter, this.fields);
  }

  commit(plan: PrivacyRoundPlan, aggregator: RoundAggregator): RoundPrivacy {
    if (!(plan instanceof ClientDpPlan) || !(aggregator instanceof ParticipationRecorder)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'client-side DP can only commit its own plans and aggregators',
      );
    }
    for (const { clientId, numExamples, localSteps } of aggregator.participants) {
      const sent = plan.configs.get(clientId);
      if (!sent) continue; // cannot happen: the engine aggregates only clients it sent a task
      const cost = clientReleaseCost(sent, numExamples, localSteps);
      let ledger = this.ledgers.get(clientId);
      if (!ledger) this.ledgers.set(clientId, (ledger = new PrivacyAccountant()));
      for (const entry of cost) ledger.add({ ...entry, label: `round ${plan.round}` });
      this.lastCost.set(clientId, cost);
    }
    return {
      mechanism: this.mechanism,
      epsilon: this.spent(),
      delta: this.delta,
      ...(this.budget ? { budget: this.budget } : {}),
      details: { ...(this.fields as Record<string, number | string>), clientsWithLedgers: this.ledgers.size },
    };
  }

  /** The worst client's epsilon. */
  spent(): number {
    let worst = 0;
    for (const ledger of this.ledgers.values()) {
      if (ledger.entries.length > 0) worst = Math.max(worst, ledger.getEpsilon(this.delta).epsilon);
    }
    return worst;
  }

  checkpoint(round: number): PrivacyCheckpoint {
    const state: ClientDpState = {
      ledgers: Object.fromEntries([...this.ledgers].map(([id, l]) => [id, l.toJSON()])),
      lastCost: Object.fromEntries(this.lastCost),
    };
    return { mechanism: this.mechanism, round, epsilon: this.spent(), delta: this.delta, state };
  }

  restore(checkpoint: PrivacyCheckpoint): void {
    assertSameMechanism(checkpoint, this.mechanism);
    const state = checkpoint.state as Partial<ClientDpState> | null;
    if (typeof state?.ledgers !== 'object' || typeof state.lastCost !== 'object') {
      throw new FlotillaError('INVALID_ARGUMENT', 'client-side DP checkpoint has no ledgers');
    }
    this.ledgers = new Map(
      Object.entries(state.ledgers).map(([id, s]) => [id, PrivacyAccountant.fromJSON(s)]),
    );
    this.lastCost = new Map(Object.entries(state.lastCost));
  }
}
