/**
 * Reading checkpointed strategy state back (the engine stores `StrategyState` and hands it to `loadState` after a
 * restart). A state written by another strategy, or damaged, raises STATE_INVALID instead of silently producing a
 * different run. Tensors are copied in both directions so a checkpoint never aliases live state.
 */
import { FlotillaError, type ParameterSet } from '../core/index.js';
import type { StrategyState } from './strategy.js';

function invalid(strategy: string, message: string): FlotillaError {
  return new FlotillaError('STATE_INVALID', `cannot load ${strategy} state: ${message}`);
}

export class StateReader {
  private readonly json: Record<string, unknown>;

  /** Checks that `state` was written by the strategy called `strategy`. */
  constructor(
    private readonly state: StrategyState,
    private readonly strategy: string,
  ) {
    const json = state.json;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw invalid(strategy, 'its JSON part is not an object');
    }
    this.json = json as Record<string, unknown>;
    if (this.json['strategy'] !== strategy) {
      throw invalid(strategy, `it was written by strategy ${JSON.stringify(this.json['strategy'])}`);
    }
  }

  /**
   * The number of aggregation steps taken ("steps") and copies of the named tensors, which must exist exactly when
   * at least one step was taken (a strategy creates its tensors at its first aggregation, when it learns the
   * model's layout).
   */
  progress(names: readonly string[]): { steps: number; tensors: ParameterSet[] | undefined } {
    const steps = this.count('steps');
    const tensors = this.tensors(names);
    if (steps > 0 !== (tensors !== undefined)) {
      throw invalid(
        this.strategy,
        `${steps} step(s) recorded but tensors ${names.join(', ')} are ${tensors ? 'present' : 'missing'}`,
      );
    }
    return { steps, tensors };
  }

  private count(key: string): number {
    const value = this.json[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid(this.strategy, `"${key}" must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  /** Copies of the named tensors, all present (in order, one shared layout) or all absent (undefined). */
  private tensors(names: readonly string[]): ParameterSet[] | undefined {
    const found = names.map((name) => this.state.tensors[name]);
    const present = found.filter((t) => t !== undefined);
    if (present.length === 0) return undefined;
    if (present.length !== names.length) {
      throw invalid(
        this.strategy,
        `expected tensors ${names.join(', ')} together, got ${present.length} of them`,
      );
    }
    const first = present[0]!;
    for (const t of present) first.layout.assertEquals(t.layout, `${this.strategy} state tensors`);
    return present.map((t) => t.clone());
  }
}
