/**
 * The runs panel: every run in the server's database with a checkbox; the ticked runs' loss curves are overlaid on
 * one chart (GET /api/dashboard/runs/:id gives a stored run's rounds as summaries).
 */
import type { RoundSummary } from '../../src/telemetry/live/dashboard-state.js';
import { LineChart } from './charts.js';

const COLOURS = ['#3b6fd8', '#d8553b', '#2a9d5c', '#8a4fd8', '#c9a227', '#1fa3b8'];

type Get = (path: string) => Promise<unknown>;

interface RunListEntry {
  readonly runId: string;
  readonly status: string;
  readonly lastRound: number;
  readonly strategy: string;
}

export class RunsPanel {
  private readonly curves = new Map<string, RoundSummary[]>();
  private chart: LineChart | undefined;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly container: HTMLElement,
    private readonly get: Get,
  ) {}

  async load(currentRunId: string): Promise<void> {
    const { runs } = (await this.get('/api/runs')) as { runs: RunListEntry[] };
    this.list.replaceChildren(
      ...runs.map((run) => {
        const li = document.createElement('li');
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = run.runId;
        box.addEventListener('change', () => void this.toggle(run.runId, box.checked));
        // The run being watched changes as it goes: its status and rounds are on the panels above, not here.
        label.append(
          box,
          run.runId === currentRunId
            ? ` ${run.runId} (${run.strategy}) — this run`
            : ` ${run.runId} (${run.strategy}, ${run.status}, ${run.lastRound} rounds)`,
        );
        li.append(label);
        return li;
      }),
    );
  }

  private async toggle(runId: string, on: boolean): Promise<void> {
    if (on) {
      const { rounds } = (await this.get(`/api/dashboard/runs/${encodeURIComponent(runId)}`)) as {
        rounds: RoundSummary[];
      };
      this.curves.set(runId, rounds);
    } else {
      this.curves.delete(runId);
    }
    this.draw();
  }

  /** uPlot fixes its series at construction, so a new selection builds a new chart. */
  private draw(): void {
    this.chart?.destroy();
    this.chart = undefined;
    const runs = [...this.curves.entries()];
    this.container.dataset['runs'] = String(runs.length);
    if (runs.length === 0) return;
    const rounds = [...new Set(runs.flatMap(([, r]) => r.map((s) => s.round)))].sort((a, b) => a - b);
    this.chart = new LineChart(
      this.container,
      runs.map(([runId], i) => ({ label: `${runId} loss`, stroke: COLOURS[i % COLOURS.length]! })),
    );
    this.chart.setData(
      rounds,
      runs.map(([, summaries]) => {
        const byRound = new Map(summaries.map((s) => [s.round, s.loss]));
        return rounds.map((r) => byRound.get(r));
      }),
    );
  }
}
