/**
 * Every run setting, defined once: the keys of a run config file, read the same way by `flotilla simulate`,
 * `train-central`, `server` and `federation`, and published as its JSON Schema (`flotilla config schema`).
 *
 * Adding a setting is one change: add its zod schema with `.meta({ description })` to the group it belongs to
 * (run-*.ts); flags, help, the README tables and the JSON Schema follow. Then use the typed value where it acts.
 */
import { z } from 'zod';
import { ATTACK_SETTINGS } from './run-attack.js';
import { AVAILABILITY_SETTINGS } from './run-availability.js';
import { DATA_SETTINGS } from './run-data.js';
import { HOMOMORPHIC_SETTINGS } from './run-homomorphic.js';
import { PRIVACY_SETTINGS } from './run-privacy.js';
import { ROUND_SETTINGS } from './run-rounds.js';
import { SECURE_AGGREGATION_SETTINGS } from './run-secure-aggregation.js';
import { SIMULATION_SETTINGS } from './run-simulation.js';
import { STRATEGY_SETTINGS } from './run-strategy.js';
import { TRACKING_SETTINGS } from './run-tracking.js';
import { TRAINING_SETTINGS } from './run-training.js';
import { UPDATE_BOUND_SETTINGS } from './run-update-bounds.js';

export const RUN_SETTINGS = {
  ...DATA_SETTINGS,
  ...ROUND_SETTINGS,
  ...AVAILABILITY_SETTINGS,
  ...TRAINING_SETTINGS,
  ...UPDATE_BOUND_SETTINGS,
  ...SIMULATION_SETTINGS,
  ...STRATEGY_SETTINGS,
  ...ATTACK_SETTINGS,
  ...PRIVACY_SETTINGS,
  ...SECURE_AGGREGATION_SETTINGS,
  ...HOMOMORPHIC_SETTINGS,
  ...TRACKING_SETTINGS,
};

/** `flotilla simulate` and `flotilla train-central`: the run settings and nothing else. */
export const RUN_SCHEMA = z.strictObject(RUN_SETTINGS).meta({ title: 'Flotilla run config' });

export type RunSettings = z.output<typeof RUN_SCHEMA>;

export { DATA_SETTINGS, INPUT_SHAPE_KEYS } from './run-data.js';
export { SIMULATION_SETTINGS } from './run-simulation.js';
export { ATTACK_SETTINGS } from './run-attack.js';
export { PRIVACY_KEYS } from './run-privacy.js';
export { STRATEGY_PARAMS } from './run-strategy.js';
export { CKKS_SETTINGS } from './run-homomorphic.js';
