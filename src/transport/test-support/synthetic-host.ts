/**
 * Host module for tests: builds N virtual clients with SoftmaxTrainers over synthetic data, deterministically from
 * `init`, so every worker thread that loads it builds the same clients.
 */
import { ParameterSet, Rng } from '../../core/index.js';
import type { ClientHost } from '../host.js';
import { RuntimeClientHost } from '../runtime-host.js';
import { SoftmaxTrainer, softmaxLayout, syntheticClientData, type Fault } from './softmax-trainer.js';

export interface SyntheticHostInit {
  readonly clients: number;
  readonly features: number;
  readonly classes: number;
  readonly examplesPerClient: number;
  readonly seed: number;
  /** Faults by client id. */
  readonly faults?: Readonly<Record<string, Fault>>;
  readonly slowMs?: number;
}

export function clientId(index: number): string {
  return `client-${String(index).padStart(3, '0')}`;
}

export function teacherParams(init: SyntheticHostInit): ParameterSet {
  const teacher = new ParameterSet(softmaxLayout(init.features, init.classes));
  const rng = new Rng(init.seed).split('teacher');
  for (let i = 0; i < teacher.size; i++) teacher.data[i] = rng.normal();
  return teacher;
}

export async function createClientHost(init: unknown): Promise<ClientHost> {
  const spec = init as SyntheticHostInit;
  const teacher = teacherParams(spec);
  const root = new Rng(spec.seed);
  const clients = Array.from({ length: spec.clients }, (_, i) => {
    const id = clientId(i);
    const data = syntheticClientData(teacher, root.split('client', id), spec.examplesPerClient);
    return { descriptor: { id }, trainer: new SoftmaxTrainer(data, spec.faults?.[id], spec.slowMs) };
  });
  return new RuntimeClientHost(clients);
}
