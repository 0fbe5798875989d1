/**
 * A real Prometheus server (Debian `prometheus`, /usr/bin/prometheus) for end-to-end tests: started on 127.0.0.1 at
 * a free port with a generated scrape config and its own TSDB in a temp folder, queried through its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './federation.js';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeJob {
  readonly name: string;
  /** host:port */
  readonly target: string;
  readonly scheme: 'http' | 'https';
  readonly bearer?: string;
  readonly caFile?: string;
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Prometheus {
  readonly url: string;
  output: string;
  /** An instant query's samples (empty when the expression has no value yet). */
  query(expression: string): Promise<Sample[]>;
  /** The single value of an instant query, or undefined while it has none. */
  value(expression: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** The scrape config: every job scraped each second, so a test sees a change within a few seconds. */
function scrapeConfig(jobs: readonly ScrapeJob[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:'];
  for (const job of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job.name)}`, `    scheme: ${job.scheme}`);
    if (job.bearer !== undefined) {
      lines.push(
        '    authorization:',
        '      type: Bearer',
        `      credentials: ${JSON.stringify(job.bearer)}`,
      );
    }
    if (job.caFile !== undefined)
      lines.push('    tls_config:', `      ca_file: ${JSON.stringify(job.caFile)}`);
    lines.push('    static_configs:', `      - targets: [${JSON.stringify(job.target)}]`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, scrapeConfig(jobs));
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const prometheus: Prometheus = {
    url,
    output: '',
    async query(expression) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${expression} failed: ${body.error}`);
      return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async value(expression) {
      const samples = await prometheus.query(expression);
      if (samples.length > 1) throw new Error(`${expression}: ${samples.length} series, expected one`);
      return samples[0]?.value;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  child.stdout!.on('data', (d: Buffer) => (prometheus.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (prometheus.output += d.toString()));
  try {
    await waitFor(
      async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true,
      60_000,
      'Prometheus to be ready',
    );
  } catch (error) {
    await prometheus.stop();
    throw new Error(`${(error as Error).message}\n${prometheus.output}`);
  }
  return prometheus;
}
