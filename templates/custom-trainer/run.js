/**
 * Runs the federation: the settings in flotilla.yaml (data, clients, rounds, local training) and the trainer of
 * trainer.js. Flotilla's simulator runs every client on this machine with the same round engine and client code
 * as a real deployment; the server tests the global model with a trainer of its own on digits no client trained
 * on. This prints how the global model does after each round.
 */
import { simulate } from 'flotilla/sim';
import { createTrainer, initialParameters } from './trainer.js';

const report = await simulate({
  settings: 'flotilla.yaml',
  trainer: createTrainer,
  initialParameters: initialParameters(),
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
