/**
 * The one place where a run's combination of settings is checked against what each part assumes (DESIGN principle
 * 9): the strategy's declared requirements (StrategyRequirements: plain SGD local steps, a gradient term, root data
 * on the server, the fewest updates a round needs), the privacy policy's (its client sampling, one mean update,
 * DP-SGD's plain per-example steps) and secure aggregation's (the server sees only a sum). RoundEngine's constructor
 * calls it, so simulate, server and federation refuse the same combinations with the same line; the CLI calls it
 * first, before loading any data.
 * Every refusal is CONFIG_INVALID naming both settings, with `key` the setting to change and what to use instead.
 */
import { FlotillaError } from '../core/index.js';
import type { Strategy } from '../strategy/strategy.js';
import type { ResolvedEngineConfig } from './config.js';
import type { PrivacyPolicy } from './privacy.js';

export interface RunSetup {
  readonly strategy: Strategy;
  readonly config: ResolvedEngineConfig;
  readonly privacy?: PrivacyPolicy | undefined;
  /** Whether the server can train on root data of its own (a ServerFit is wired in). */
  readonly serverFit: boolean;
  /** The most clients a round can select, when the setup fixes it (clientsPerRound, or a known client count). */
  readonly maxSelection?: number | undefined;
}

/** The strategies that follow a mean update only, for "use one of" hints. */
const MEAN_UPDATE_STRATEGIES = 'fedavg, fedavgm, fedprox, fedadagrad, fedadam or fedyogi';
/** The same with FedNova, whose normalizer covers local momentum. */
const MOMENTUM_STRATEGIES = 'fednova, fedavg, fedavgm, fedprox, fedadagrad, fedadam or fedyogi';

function refuse(key: string, message: string): never {
  throw new FlotillaError('CONFIG_INVALID', message, { key });
}

/** Throws CONFIG_INVALID for the first assumption the setup breaks; returns when every one holds. */
export function checkRunAssumptions(setup: RunSetup): void {
  // A combination that can never work is named before one that a larger round would fix.
  checkLocalTraining(setup);
  checkServer(setup);
  checkPrivacy(setup);
  checkHiddenUpdates(setup);
  checkRoundSize(setup);
}

function checkLocalTraining({ strategy, config, privacy }: RunSetup): void {
  const name = strategy.name;
  const sgd = strategy.requires?.localSgd;
  if (sgd && config.optimizer !== 'sgd') {
    refuse(
      'optimizer',
      `strategy "${name}" assumes plain SGD local steps for ${sgd.uses}, but optimizer is "${config.optimizer}"; ` +
        `set optimizer to "sgd", or keep "${config.optimizer}" with ${MEAN_UPDATE_STRATEGIES}`,
    );
  }
  if (sgd && !sgd.momentum && config.momentum > 0) {
    refuse(
      'momentum',
      `strategy "${name}" assumes plain SGD local steps for ${sgd.uses}, but momentum is ${config.momentum}; ` +
        `set momentum to 0, or keep it with ${MOMENTUM_STRATEGIES}`,
    );
  }
  const term = strategy.requires?.gradientTerm;
  if (term && privacy?.exampleLevel) {
    refuse(
      'dp',
      `strategy "${name}" adds ${term} to every local gradient, but dp "dp-sgd" takes clipped per-example ` +
        `steps without it; use dp-sgd with fedavg, or strategy "${name}" with dp "local" or "central"`,
    );
  }
}

function checkRoundSize({ strategy, maxSelection }: RunSetup): void {
  const needed = strategy.requires?.minUpdates;
  if (needed && maxSelection !== undefined && maxSelection < needed.count) {
    refuse(
      'clientsPerRound',
      `strategy "${strategy.name}" needs ${needed.count} updates per round (${needed.rule}), but a round selects at ` +
        `most ${maxSelection} clients; select more clients per round or lower f`,
    );
  }
}

function checkServer({ strategy, serverFit }: RunSetup): void {
  if (strategy.requires?.serverFit && !serverFit) {
    refuse(
      'strategy',
      `strategy "${strategy.name}" trains on the server's own root data every round, but this run has none ` +
        '(the simulator provides it; a deployment must pass serverFit to the engine); use krum, median or ' +
        'centered-clipping instead',
    );
  }
}

function checkPrivacy({ strategy, config, privacy }: RunSetup): void {
  if (!privacy) return;
  const assumed = privacy.sampling;
  if (assumed !== undefined && assumed !== config.clientSampling) {
    refuse(
      'clientSampling',
      `the privacy analysis assumes ${assumed} client sampling but the engine samples ` +
        `${config.clientSampling}; set clientSampling to ${assumed}`,
    );
  }
  if (privacy.meanOnly && !strategy.meanUpdate) {
    refuse(
      'strategy',
      `strategy "${strategy.name}" cannot follow ${privacy.mechanism} (dp "central"), which hands the strategy ` +
        `one noised mean update; use ${MEAN_UPDATE_STRATEGIES}, or dp "local" with "${strategy.name}"`,
    );
  }
}

function checkHiddenUpdates({ strategy, config, privacy }: RunSetup): void {
  const hiding = config.secureAggregation
    ? 'secure aggregation'
    : config.homomorphicAggregation
      ? 'homomorphic aggregation'
      : undefined;
  if (hiding && !strategy.meanUpdate) {
    refuse(
      hiding === 'secure aggregation' ? 'secureAggregation' : 'homomorphicAggregation',
      `strategy "${strategy.name}" needs each client's update, but ${hiding} gives the server only their ` +
        `sum; use ${MEAN_UPDATE_STRATEGIES}`,
    );
  }
  const refusal = privacy?.secureAggregation(hiding !== undefined).refusal;
  if (refusal) refuse('secureAggregation', refusal);
}
