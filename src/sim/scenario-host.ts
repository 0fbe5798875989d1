/**
 * The host module of simulated clients: `createClientHost(init)` builds every virtual client of a scenario, each a
 * real ClientRuntime around a TfjsTrainer on its own data. All clients of one thread share one tfjs model (a fit
 * sets the weights it is given), so thousands of clients cost their data, not thousands of models. The worker-thread
 * pool loads this module in every worker; the in-process pool loads it in the main thread.
 */
import { SharedModel, TfjsTrainer, initBackend, type BackendName } from '../ml/index.js';
import { he, secagg } from '../privacy/index.js';
import { RuntimeClientHost, type ClientHost, type RuntimeClientHostOptions } from '../transport/index.js';
import { flipLabels } from './attacks.js';
import {
  buildTrainer,
  clientSeed,
  loadTrainerFactory,
  userSharedModel,
  type CustomClients,
  type ModelFactoryInput,
} from './custom-clients.js';
import { dpNoiseFactory } from './dp-noise.js';
import { prepareScenario, type PreparedScenario, type ScenarioConfig } from './scenario.js';

export interface ScenarioHostInit {
  readonly scenario: ScenarioConfig;
  readonly backend: BackendName;
  /** Clients that train on flipped labels (the label-flip attack, see attacks.ts). */
  readonly labelFlipped?: readonly string[];
  /** Client-side privacy: the noise source and each client's own budget (local DP, DP-SGD). */
  readonly privacy?: RuntimeClientHostOptions['privacy'];
  /** The CKKS key file the virtual clients share (homomorphic aggregation). */
  readonly homomorphicKeyFile?: Uint8Array;
  /** Signed secure aggregation: every client's public identity key, and each one's private key (PKCS#8). */
  readonly identities?: {
    readonly roster: Readonly<Record<string, Uint8Array>>;
    readonly keys: Readonly<Record<string, Uint8Array>>;
  };
  /** The user's model or trainer instead of the zoo model (functions only when every client is in this thread). */
  readonly custom?: CustomClients;
}

/** The run's model in this thread: the user's, or the scenario's zoo model. */
export function scenarioSharedModel(
  scenario: ScenarioConfig,
  dims: ModelFactoryInput,
  custom: CustomClients | undefined,
): Promise<SharedModel> {
  return custom?.model !== undefined
    ? userSharedModel(custom.model, dims)
    : Promise.resolve(SharedModel.create(scenario.model, dims));
}

/** Scenarios already built in this thread, so the main thread does not build one twice. */
const prepared = new Map<string, Promise<PreparedScenario>>();

export function prepareScenarioOnce(scenario: ScenarioConfig): Promise<PreparedScenario> {
  const key = JSON.stringify(scenario);
  let promise = prepared.get(key);
  if (!promise) {
    promise = prepareScenario(scenario);
    prepared.set(key, promise);
    promise.catch(() => prepared.delete(key));
  }
  return promise;
}

export async function createClientHost(init: unknown): Promise<ClientHost> {
  const { scenario, backend, privacy, homomorphicKeyFile, identities } = init as ScenarioHostInit;
  await initBackend(backend);
  const flipped = new Set((init as ScenarioHostInit).labelFlipped ?? []);
  const data = await prepareScenarioOnce(scenario);
  const dpNoise = dpNoiseFactory(privacy?.noise ?? 'secure');
  const custom = (init as ScenarioHostInit).custom;
  const trainerFactory = custom?.trainer !== undefined ? await loadTrainerFactory(custom.trainer) : undefined;
  const model = trainerFactory
    ? undefined
    : await scenarioSharedModel(
        scenario,
        { inputShape: data.featureShape, numClasses: data.numClasses, seed: scenario.seed },
        custom,
      );
  const roster = identities && new Map(Object.entries(identities.roster));
  const identityOf = async (id: string) =>
    roster && {
      id,
      roster,
      privateKey: (await secagg.importEd25519Private(identities!.keys[id]!)).privateKey,
    };
  const clientIdentities = await Promise.all(data.clients.map((c) => identityOf(c.id)));
  const trainers = await Promise.all(
    data.clients.map((client) => {
      const train = flipped.has(client.id) ? flipLabels(client.train) : client.train;
      return trainerFactory
        ? buildTrainer(trainerFactory, {
            id: client.id,
            train,
            ...(client.test ? { test: client.test } : {}),
            seed: clientSeed(scenario.seed, client.id),
          })
        : new TfjsTrainer(model!, train, { ...(client.test ? { test: client.test } : {}), dpNoise });
    }),
  );
  return new RuntimeClientHost(
    data.clients.map((client, i) => ({
      descriptor: { id: client.id },
      ...(clientIdentities[i] ? { identity: clientIdentities[i] } : {}),
      trainer: trainers[i]!,
    })),
    {
      ...(privacy ? { privacy } : {}),
      ...(homomorphicKeyFile
        ? { homomorphicKeys: he.loadKeys(await he.loadSeal(), homomorphicKeyFile) }
        : {}),
    },
  );
}
