import { describe, expect, it } from 'vitest';
import {
  FlotillaError,
  ParameterSet,
  type EvaluateConfig,
  type EvaluateOutput,
  type FitConfig,
  type FitOutput,
  type Trainer,
} from '../core/index.js';
import {
  decodeMessage,
  encodeMessage,
  type EvaluateResultMessage,
  type FitResultMessage,
  type Message,
  type TaskFailedMessage,
} from '../protocol/index.js';
import { ClientRuntime } from './runtime.js';

/**
 * A real trainer: one-feature least-squares regression y ~ w*x + b by minibatch gradient descent on the objective
 * L = 1/(2n) * sum (w*x + b - y)^2, so dL/dw = mean(r*x) and dL/db = mean(r) with residual r = w*x + b - y.
 * Batches are taken in data order. It trains in place and returns its input, as simple trainers do.
 */
class LinearRegressionTrainer implements Trainer {
  constructor(
    private readonly xs: number[],
    private readonly ys: number[],
  ) {}

  async fit(params: ParameterSet, config: FitConfig): Promise<FitOutput> {
    if (config.optimizer !== 'sgd') {
      throw new FlotillaError('INVALID_ARGUMENT', `optimizer "${config.optimizer}" is not supported`);
    }
    const w = params.tensor('w');
    const b = params.tensor('b');
    let steps = 0;
    for (let epoch = 0; epoch < config.localEpochs; epoch++) {
      for (let start = 0; start < this.xs.length; start += config.batchSize) {
        const end = Math.min(start + config.batchSize, this.xs.length);
        let gw = 0;
        let gb = 0;
        for (let i = start; i < end; i++) {
          const r = w[0]! * this.xs[i]! + b[0]! - this.ys[i]!;
          gw += r * this.xs[i]!;
          gb += r;
        }
        w[0] = w[0]! - (config.learningRate * gw) / (end - start);
        b[0] = b[0]! - (config.learningRate * gb) / (end - start);
        steps++;
      }
    }
    const { loss } = this.loss(params);
    return { params, numExamples: this.xs.length, localSteps: steps, metrics: { loss } };
  }

  async evaluate(params: ParameterSet, _config: EvaluateConfig): Promise<EvaluateOutput> {
    const { loss, mse } = this.loss(params);
    return { loss, numExamples: this.xs.length, metrics: { mse } };
  }

  private loss(params: ParameterSet): { loss: number; mse: number } {
    const w = params.tensor('w')[0]!;
    const b = params.tensor('b')[0]!;
    let sum = 0;
    this.xs.forEach((x, i) => (sum += (w * x + b - this.ys[i]!) ** 2));
    const mse = sum / this.xs.length;
    return { loss: mse / 2, mse };
  }
}

// Points on y = 2x + 1.
const trainer = new LinearRegressionTrainer([0, 1, 2], [1, 3, 5]);

function model(w: number, b: number): ParameterSet {
  return ParameterSet.fromTensors([
    { name: 'w', shape: [1], values: new Float32Array([w]) },
    { name: 'b', shape: [1], values: new Float32Array([b]) },
  ]);
}

const baseConfig: FitConfig = {
  round: 1,
  seed: 1,
  localEpochs: 1,
  batchSize: 3,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};

function fitTask(params: ParameterSet, config: Partial<FitConfig> = {}): Uint8Array {
  return encodeMessage({
    type: 'fit-task',
    round: 1,
    taskId: 'task-1',
    config: { ...baseConfig, ...config },
    params,
  });
}

function evaluateTask(params: ParameterSet): Uint8Array {
  return encodeMessage({
    type: 'evaluate-task',
    round: 1,
    taskId: 'e',
    config: { round: 1, batchSize: 8 },
    params,
  });
}

async function run(runtime: ClientRuntime, frame: Uint8Array): Promise<Message> {
  return decodeMessage(await runtime.handle(frame));
}

describe('ClientRuntime', () => {
  it('runs a fit task and replies with trained - global', async () => {
    const reply = (await run(new ClientRuntime(trainer), fitTask(model(0, 0)))) as FitResultMessage;
    // One full-batch step from w = b = 0: residuals (-1, -3, -5), dL/dw = (0 - 3 - 10)/3 = -13/3, dL/db = -3,
    // so w = 0.1 * 13/3 = 13/30 and b = 0.3; the update is those values minus zero.
    expect(reply.type).toBe('fit-result');
    expect(reply.taskId).toBe('task-1');
    expect(reply.round).toBe(1);
    expect(reply.numExamples).toBe(3);
    expect(reply.localSteps).toBe(1);
    expect(reply.update.tensor('w')[0]).toBeCloseTo(13 / 30, 6);
    expect(reply.update.tensor('b')[0]).toBeCloseTo(0.3, 6);
    // Residuals at (13/30, 9/30) are (-21, -68, -115)/30: loss = (441 + 4624 + 13225) / 900 / 6.
    expect(reply.metrics.loss).toBeCloseTo(18290 / 5400, 5);
  });

  it('measures the update from the global model even though the trainer trains in place', async () => {
    const reply = (await run(
      new ClientRuntime(trainer),
      fitTask(model(1, 1), { batchSize: 1 }),
    )) as FitResultMessage;
    // Three single-example steps from (w, b) = (1, 1), lr 0.1:
    //   (x=0, y=1): r = 0            -> (1, 1)
    //   (x=1, y=3): r = -1           -> (1.1, 1.1)
    //   (x=2, y=5): r = 2.2+1.1-5 = -1.7 -> w = 1.1 + 0.34 = 1.44, b = 1.1 + 0.17 = 1.27
    expect(reply.localSteps).toBe(3);
    expect(reply.update.tensor('w')[0]).toBeCloseTo(0.44, 5);
    expect(reply.update.tensor('b')[0]).toBeCloseTo(0.27, 5);
  });

  it('runs an evaluate task', async () => {
    const frame = encodeMessage({
      type: 'evaluate-task',
      round: 4,
      taskId: 'e',
      config: { round: 4, batchSize: 8 },
      params: model(0, 0),
    });
    const reply = (await run(new ClientRuntime(trainer), frame)) as EvaluateResultMessage;
    // Residuals (-1, -3, -5): mse = 35/3, loss = mse/2.
    expect(reply).toEqual({
      type: 'evaluate-result',
      round: 4,
      taskId: 'e',
      loss: expect.closeTo(35 / 6, 6) as number,
      numExamples: 3,
      metrics: { mse: expect.closeTo(35 / 3, 6) as number },
    });
  });

  it('reports a trainer that throws as task-failed, keeping its error code', async () => {
    const reply = (await run(
      new ClientRuntime(trainer),
      fitTask(model(0, 0), { optimizer: 'adam' }),
    )) as TaskFailedMessage;
    expect(reply).toEqual({
      type: 'task-failed',
      round: 1,
      taskId: 'task-1',
      code: 'INVALID_ARGUMENT',
      message: 'trainer.fit threw: optimizer "adam" is not supported',
    });
    const wrongModel = ParameterSet.fromTensors([{ name: 'v', shape: [1], values: new Float32Array(1) }]);
    const missing = (await run(new ClientRuntime(trainer), fitTask(wrongModel))) as TaskFailedMessage;
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.message).toBe('trainer.fit threw: no tensor named "w"');
  });

  it('refuses a task that needs a training feature the trainer does not declare, instead of ignoring it', async () => {
    const fedProx = (await run(
      new ClientRuntime(trainer),
      fitTask(model(0, 0), { proximalMu: 0.1 }),
    )) as TaskFailedMessage;
    expect(fedProx.type).toBe('task-failed');
    expect(fedProx.code).toBe('TRAINER_UNSUPPORTED');
    expect(fedProx.message).toMatch(/"proximal-term": FedProx's proximal term \(config\.proximalMu/);
    const dpSgd = (await run(
      new ClientRuntime(trainer),
      fitTask(model(0, 0), { exampleClipNorm: 1, exampleNoiseMultiplier: 1 }),
    )) as TaskFailedMessage;
    expect(dpSgd.code).toBe('TRAINER_UNSUPPORTED');
    expect(dpSgd.message).toMatch(/"dp-sgd": per-example clipping/);
    // mu = 0 asks nothing of the trainer; a trainer that declares the feature runs the task.
    expect((await run(new ClientRuntime(trainer), fitTask(model(0, 0), { proximalMu: 0 }))).type).toBe(
      'fit-result',
    );
    const declaring: Trainer = {
      features: ['proximal-term'],
      fit: (p, c) => trainer.fit(p, c),
      evaluate: (p, c) => trainer.evaluate(p, c),
    };
    expect((await run(new ClientRuntime(declaring), fitTask(model(0, 0), { proximalMu: 0.1 }))).type).toBe(
      'fit-result',
    );
  });

  it('reports diverged training (non-finite parameters) as task-failed', async () => {
    const reply = (await run(
      new ClientRuntime(trainer),
      fitTask(model(0, 0), { learningRate: 1e20, localEpochs: 5 }),
    )) as TaskFailedMessage;
    expect(reply.type).toBe('task-failed');
    expect(reply.code).toBe('NON_FINITE');
    expect(reply.message).toMatch(/^trained parameters contain a non-finite value .* in tensor "w"$/);
  });

  it('reports a NaN or infinite loss from the trainer as NON_FINITE (diverged), naming the metric', async () => {
    const diverging: Trainer = {
      fit: async (p, c) => ({ ...(await trainer.fit(p, c)), metrics: { loss: NaN } }),
      evaluate: async () => ({ loss: Infinity, numExamples: 3, metrics: {} }),
    };
    const fit = (await run(new ClientRuntime(diverging), fitTask(model(0, 0)))) as TaskFailedMessage;
    expect(fit).toMatchObject({ type: 'task-failed', code: 'NON_FINITE' });
    expect(fit.message).toBe('trainer.fit reported a non-finite loss (NaN)');
    const evaluation = (await run(
      new ClientRuntime(diverging),
      evaluateTask(model(0, 0)),
    )) as TaskFailedMessage;
    expect(evaluation).toMatchObject({ type: 'task-failed', code: 'NON_FINITE' });
    expect(evaluation.message).toBe('trainer.evaluate reported a non-finite loss (Infinity)');
  });

  it('rejects trainer output with another layout or invalid counts', async () => {
    const grows: Trainer = {
      fit: async (params, config) => {
        const out = await trainer.fit(params, config);
        const extra = ParameterSet.fromTensors([
          ...out.params.tensors(),
          { name: 'extra', shape: [1], values: new Float32Array(1) },
        ]);
        return { ...out, params: extra };
      },
      evaluate: (params, config) => trainer.evaluate(params, config),
    };
    const layout = (await run(new ClientRuntime(grows), fitTask(model(0, 0)))) as TaskFailedMessage;
    expect(layout.code).toBe('SHAPE_MISMATCH');
    expect(layout.message).toBe(
      'the global model and the trained parameters differ at tensor 2: nothing vs extra[1]',
    );

    const miscounts: Trainer = {
      fit: async (params, config) => ({ ...(await trainer.fit(params, config)), numExamples: 2.5 }),
      evaluate: (params, config) => trainer.evaluate(params, config),
    };
    const counts = (await run(new ClientRuntime(miscounts), fitTask(model(0, 0)))) as TaskFailedMessage;
    expect(counts.code).toBe('INVALID_ARGUMENT');
    expect(counts.message).toBe(
      'trainer output rejected: fit-result.numExamples: expected an integer >= 0, got 2.5',
    );
  });

  it('rejects undecodable frames and non-task messages with the typed error', async () => {
    const runtime = new ClientRuntime(trainer, {
      limits: { maxFrameBytes: 64, maxHeaderBytes: 1024, maxTensors: 4 },
    });
    await expect(runtime.handle(fitTask(model(0, 0)))).rejects.toMatchObject({ code: 'CODEC_OVERSIZED' });
    await expect(new ClientRuntime(trainer).handle(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'CODEC_CORRUPT',
    });
    const notATask = encodeMessage({ type: 'task-failed', round: 1, taskId: 't', code: 'X', message: '' });
    await expect(new ClientRuntime(trainer).handle(notATask)).rejects.toThrow(
      'a client cannot handle a task-failed message',
    );
  });
});
