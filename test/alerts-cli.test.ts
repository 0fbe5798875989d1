/**
 * `flotilla simulate` (a real process from source) with a scaled-update attacker and a webhook in its config file:
 * the alert is printed as it fires, summarised, written into the history, and delivered signed to a local receiver.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flotilla } from './support/federation.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const SECRET = 'simulate-hook-secret';
let dir: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-alerts-cli-'));
  receiver = await startWebhookReceiver(SECRET);
});

afterAll(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('flotilla simulate with alerts', () => {
  it('prints, summarises, records and delivers the alert of a scaled update', async () => {
    const config = join(dir, 'run.json');
    await writeFile(
      config,
      JSON.stringify({
        dataset: 'mnist',
        trainLimit: 800,
        clients: 8,
        rounds: 2,
        partition: 'iid',
        model: 'logreg',
        backend: 'cpu',
        workers: 1,
        strategy: 'median',
        attack: 'scale',
        attackers: 0.125,
        alerts: {
          webhooks: [
            {
              url: `${receiver.origin}/`,
              secretEnv: 'HOOK_SECRET',
            },
          ],
        },
      }),
    );
    const output = join(dir, 'history.json');
    const run = flotilla(['simulate', config, '--output', output], { HOOK_SECRET: SECRET });
    expect(await run.exited).toBe(0);
    const history = JSON.parse(await readFile(output, 'utf8')) as {
      attack: { attackers: string[] };
      alerts: { rule: string; clientId: string; round: number }[];
      alertDeliveries: { status: string; attempt: number }[];
    };
    const [attacker] = history.attack.attackers;
    expect(history.alerts.map((a) => [a.rule, a.clientId, a.round])).toEqual([
      ['update-norm-outlier', attacker, 1],
    ]);
    expect(history.alertDeliveries).toEqual([expect.objectContaining({ status: 'delivered', attempt: 1 })]);
    expect(run.output).toMatch(
      new RegExp(
        `^alert warning update-norm-outlier \\(round 1 ${attacker}\\): client "${attacker}" sent an update`,
        'm',
      ),
    );
    expect(run.output).toContain(`Alerts: 1 raised (update-norm-outlier ${attacker}).`);
    expect(receiver.hooks).toHaveLength(1);
    expect(receiver.hooks[0]!.verified).toBe(true);
    expect(JSON.parse(receiver.hooks[0]!.body).alert).toMatchObject({
      rule: 'update-norm-outlier',
      clientId: attacker,
    });
  }, 180_000);
});
