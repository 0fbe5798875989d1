/**
 * The public types as a user's program sees them, through the package's own exports map (`flotilla`,
 * `flotilla/sim`, ...). test/types.test.ts compiles this file with tsc: a missing export fails the import, a type
 * that loosens makes a `@ts-expect-error` line unused (an error), a type that changes fails an `expectTypeOf`.
 * Nothing here runs.
 */
import type * as tf from '@tensorflow/tfjs';
import { expectTypeOf } from 'vitest';
import {
  FedAvg,
  FlotillaError,
  ParameterSet,
  createStrategy,
  isFlotillaError,
  type EngineEvents,
  type EngineListeners,
  type ErrorCode,
  type EvaluateOutput,
  type FitConfig,
  type FitOutput,
  type RoundRecord,
  type RunResult,
  type Strategy,
  type Trainer,
} from 'flotilla';
import { BrowserClient, type BrowserClientOptions } from 'flotilla/browser';
import { runClient, type RunClientOptions } from 'flotilla/client';
import { loadMnist, partition, type Dataset } from 'flotilla/data';
import { createTfjsTrainer, type ModelFactory, type TfjsTrainer } from 'flotilla/ml';
import { startServer, type FlotillaServer, type StartServerOptions } from 'flotilla/server';
import {
  simulate,
  type SimulateOptions,
  type SimulationReport,
  type TrainerFactory,
  type TrainerFactoryInput,
} from 'flotilla/sim';

declare const params: ParameterSet;
declare const trainer: Trainer;
declare const model: tf.LayersModel;
declare const data: Dataset;

// Entry functions: their signatures.
expectTypeOf(simulate).parameter(0).toEqualTypeOf<SimulateOptions | undefined>();
expectTypeOf(simulate).returns.resolves.toEqualTypeOf<SimulationReport>();
expectTypeOf(startServer).returns.resolves.toEqualTypeOf<FlotillaServer>();
expectTypeOf(startServer).parameter(0).toEqualTypeOf<StartServerOptions | undefined>();
expectTypeOf(runClient).parameter(0).toEqualTypeOf<RunClientOptions>();
expectTypeOf(runClient).returns.resolves.toEqualTypeOf<'finished' | 'stopped'>();
expectTypeOf(createTfjsTrainer).returns.toEqualTypeOf<TfjsTrainer>();
expectTypeOf<TfjsTrainer>().toExtend<Trainer>();

// The report.
expectTypeOf<SimulationReport['history']>().toEqualTypeOf<readonly RoundRecord[]>();
expectTypeOf<SimulationReport['finalParameters']>().toEqualTypeOf<ParameterSet>();
expectTypeOf<SimulationReport['status']>().toEqualTypeOf<RunResult['status']>();
expectTypeOf<FlotillaServer['finished']>().toEqualTypeOf<Promise<RunResult>>();

// The Trainer contract.
expectTypeOf<Trainer['fit']>().parameters.toEqualTypeOf<
  [ParameterSet, FitConfig, ({ readonly gradientCorrection?: ParameterSet } | undefined)?]
>();
expectTypeOf<Trainer['fit']>().returns.toEqualTypeOf<Promise<FitOutput>>();
expectTypeOf<Trainer['evaluate']>().returns.toEqualTypeOf<Promise<EvaluateOutput>>();

// The plug-ins' inputs.
expectTypeOf<Parameters<ModelFactory>[0]>().toEqualTypeOf<{
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly seed: number;
}>();
expectTypeOf<TrainerFactoryInput>().toEqualTypeOf<{
  readonly id: string;
  readonly train: Dataset;
  readonly test?: Dataset;
  readonly seed: number;
}>();
expectTypeOf<ReturnType<TrainerFactory>>().toEqualTypeOf<Trainer | Promise<Trainer>>();

// Listeners are typed from the engine's events.
expectTypeOf<NonNullable<EngineListeners['round-committed']>>()
  .parameter(0)
  .toEqualTypeOf<EngineEvents['round-committed']>();
const listeners: EngineListeners = {
  'round-committed': ({ record }) => expectTypeOf(record.round).toBeNumber(),
  'run-finished': ({ status }) =>
    expectTypeOf(status).toEqualTypeOf<'completed' | 'aborted' | 'failed' | 'budget-exhausted'>(),
};

// Correct uses compile.
void simulate({
  settings: { rounds: 2, clients: 4 },
  trainer: ({ train }) => (train.size > 0 ? trainer : Promise.resolve(trainer)),
  initialParameters: params,
  strategy: new FedAvg(),
  on: listeners,
  signal: new AbortController().signal,
});
void simulate({ settings: 'config.yaml', model: () => model });
void simulate({ model: './my-model.js' });
void startServer({
  settings: { insecure: true },
  initialParameters: params,
  strategy: createStrategy('fedavg'),
});
void runClient({ server: 'wss://h/ws', id: 'a', token: 't', trainer, ca: 'ca.crt' });
const strategy: Strategy = createStrategy('fedprox', { mu: 0.1 });
void createTfjsTrainer({ model, train: data });
void loadMnist({ seed: 1 });
void partition;
const code: ErrorCode = new FlotillaError('CONFIG_INVALID', 'x').code;
void isFlotillaError(code, 'CONFIG_INVALID');
void strategy;

// Misuse does not compile.
// @ts-expect-error settings are an object or a file path
void simulate({ settings: 42 });
// @ts-expect-error a model factory returns a tf.LayersModel
void simulate({ model: () => 'mlp' });
// @ts-expect-error a trainer factory returns a Trainer
void simulate({ trainer: () => ({ fit: () => 1 }), initialParameters: params });
// @ts-expect-error initialParameters is a ParameterSet
void simulate({ initialParameters: new Float32Array(3) });
// @ts-expect-error listeners are keyed by engine event names
void simulate({ on: { 'round-done': () => undefined } });
// @ts-expect-error a listener gets its event's payload
void simulate({ on: { 'round-committed': (e: { round: string }) => e } });
// @ts-expect-error a strategy implements Strategy
void simulate({ strategy: { name: 'mine' } });
expectTypeOf(
  new BrowserClient({ server: 'wss://h/ws', clientId: 'a', token: 't', trainer }).run(),
).resolves.toEqualTypeOf<'finished' | 'stopped'>();
expectTypeOf<BrowserClientOptions['trainer']>().toEqualTypeOf<Trainer>();
// @ts-expect-error a BrowserClient needs a trainer
void new BrowserClient({ server: 'wss://h/ws', clientId: 'a', token: 't' });
// @ts-expect-error runClient needs a trainer
void runClient({ server: 'wss://h/ws', id: 'a', token: 't' });
// @ts-expect-error runClient needs the server's address
void runClient({ id: 'a', token: 't', trainer });
// @ts-expect-error error codes are a closed set
const wrongCode: ErrorCode = 'NOT_A_CODE';
void wrongCode;
// @ts-expect-error the server takes a model factory, not a model name
void startServer({ model: 'mlp' });
