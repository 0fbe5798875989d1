/**
 * A client whose model does not fit the run's (images of another size, a CSV of another width, another --model)
 * can never answer a task: every one fails with SHAPE_MISMATCH on the server's side and nothing tells the person
 * at the client why. This wraps its trainer to compare the global parameters of each task with the client's own
 * model first, and to hand the client one line naming its data and model, so the process can stop with it once the
 * failure has been reported to the server.
 */
import { FlotillaError, type ParameterLayout, type ParameterSet, type Trainer } from '../core/index.js';

export interface RunModelCheck {
  readonly trainer: Trainer;
  /** The mismatch seen, once a task brought parameters of another model. */
  mismatch(): FlotillaError | undefined;
}

export function checkRunModel(
  trainer: Trainer,
  layout: ParameterLayout,
  describe: { readonly model: string; readonly inputShape: readonly number[] },
): RunModelCheck {
  let mismatch: FlotillaError | undefined;
  const check = (params: ParameterSet) => {
    try {
      layout.assertEquals(params.layout, 'this client and the run');
    } catch (error) {
      mismatch = new FlotillaError(
        'DATA_INVALID',
        `the run's model does not fit this client's --model ${describe.model} on examples of shape [${describe.inputShape.join(', ')}]: ${(error as Error).message}`,
      );
      throw mismatch;
    }
  };
  const checked: Trainer = {
    ...(trainer.features ? { features: trainer.features } : {}),
    async fit(params, config, extras) {
      check(params);
      return trainer.fit(params, config, extras);
    },
    async evaluate(params, config) {
      check(params);
      return trainer.evaluate(params, config);
    },
    ...(trainer.dispose ? { dispose: () => trainer.dispose!() } : {}),
  };
  return { trainer: checked, mismatch: () => mismatch };
}
