/**
 * Runs the federation: the settings in flotilla.yaml (data, clients, rounds, local training), the model of
 * model.js. Flotilla's simulator runs every client on this machine with the same round engine and client code as a
 * real deployment; this prints how the global model does after each round.
 */
import { simulate } from 'flotilla/sim';
import { createModel } from './model.js';

const report = await simulate({
  settings: 'flotilla.yaml',
  model: createModel,
  on: {
    'round-committed': ({ record }) => {
      const test = record.serverEvaluation;
      console.log(
        `round ${record.round}: train loss ${record.train.metrics.loss.toFixed(4)}, ` +
          `test loss ${test.loss.toFixed(4)}, test accuracy ${test.metrics.accuracy.toFixed(4)}`,
      );
    },
  },
});

const last = report.history.at(-1).serverEvaluation;
console.log(
  `Final model: test accuracy ${last.metrics.accuracy.toFixed(4)} on ${last.numExamples} held-out digits ` +
    '(always answering the most common digit scores about 0.11)',
);
