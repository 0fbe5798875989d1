/** Test support: a real strategy whose chosen aggregations fail, to exercise how the engine survives them. */
import type { RoundAggregator, RoundContext, Strategy } from '../strategy.js';

/** 'prepare': `prepareRound` throws (as FLTrust's server training might) before any client is asked. */
export type Fault = 'throw' | 'non-finite' | 'prepare';

/**
 * Wraps a real strategy and spoils the aggregations numbered in `faulty` (1-based, counting every attempt's
 * finish): a plain Error thrown after the inner rule has run (and advanced any state), or a NaN in the new model;
 * or, with 'prepare', the attempts numbered in `faulty` fail in `prepareRound`.
 */
export class Faulty implements Strategy {
  readonly name: string;
  private finishes = 0;
  private prepares = 0;

  constructor(
    private readonly inner: Strategy,
    private readonly fault: Fault,
    private readonly faulty: (finish: number) => boolean,
  ) {
    this.name = inner.name;
  }

  prepareRound(context: RoundContext): Promise<void> {
    if (this.fault === 'prepare' && this.faulty(++this.prepares)) {
      return Promise.reject(new Error('injected preparation bug'));
    }
    return this.inner.prepareRound?.(context) ?? Promise.resolve();
  }

  configureFit(context: RoundContext, proposals: Parameters<Strategy['configureFit']>[1]) {
    return this.inner.configureFit(context, proposals);
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    const inner = this.inner.beginAggregation(context);
    return {
      add: (result) => inner.add(result),
      finish: (failures) => {
        const output = inner.finish(failures);
        if (this.fault === 'prepare' || !this.faulty(++this.finishes)) return output;
        if (this.fault === 'throw') throw new Error('injected aggregation bug');
        const params = output.params.clone();
        params.data[1] = Number.NaN;
        return { ...output, params };
      },
    };
  }

  saveState() {
    return this.inner.saveState();
  }

  loadState(state: Parameters<Strategy['loadState']>[0]) {
    this.inner.loadState(state);
  }
}
