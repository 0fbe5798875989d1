/**
 * Runs the federation: the settings in flotilla.yaml (data, clients, rounds, local training) and the trainer of
 * trainer.js. Flotilla's simulator runs every client on this machine with the same round engine and client code
 * as a real deployment, then this prints how the global model did after each round.
 */
import { simulate } from 'flotilla/sim';
import { createTrainer, initialParameters } from './trainer.js';

const report = await simulate({
  settings: 'flotilla.yaml',
  trainer: createTrainer,
  initialParameters: initialParameters(),
});

/** The server's test of the global model, or else the clients' tests of it (federated evaluation). */
const evaluation = (round) => round.serverEvaluation ?? round.federatedEvaluation;

for (const round of report.history) {
  const test = evaluation(round);
  console.log(
    `round ${round.round}: train loss ${round.train.metrics.loss.toFixed(4)}, ` +
      `test loss ${test.loss.toFixed(4)}, test accuracy ${test.metrics.accuracy.toFixed(4)}`,
  );
}
const last = evaluation(report.history.at(-1));
console.log(
  `Final model: test accuracy ${last.metrics.accuracy.toFixed(4)} on ${last.numExamples} held-out digits ` +
    '(always answering the most common digit scores about 0.11)',
);
