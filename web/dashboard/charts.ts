/**
 * Line charts on uPlot: one x axis (rounds) and named series. Each chart's container carries the number of points
 * drawn in `data-points` (the tests and the benchmark read it).
 */
import uPlot from 'uplot';

const ROUND_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

export interface SeriesSpec {
  readonly label: string;
  readonly stroke: string;
  readonly dash?: number[];
}

export class LineChart {
  private readonly plot: uPlot;

  constructor(
    private readonly container: HTMLElement,
    series: readonly SeriesSpec[],
    xLabel = 'round',
  ) {
    const width = Math.max(300, container.clientWidth || 480);
    this.plot = new uPlot(
      {
        width,
        height: 200,
        scales: { x: { time: false } },
        // Rounds are whole numbers: no tick at round 1.5.
        axes: [{ label: xLabel, incrs: ROUND_STEPS }, { size: 60 }],
        series: [
          { label: xLabel },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: 1.5,
            ...(s.dash ? { dash: s.dash } : {}),
          })),
        ],
      },
      [[], ...series.map(() => [])],
      container,
    );
    container.dataset['points'] = '0';
  }

  /** Replaces the data: x values and one column per series (null draws a gap). */
  setData(x: readonly number[], columns: readonly (readonly (number | null | undefined)[])[]): void {
    const data = [x as number[], ...columns.map((c) => c.map((v) => v ?? null))] as uPlot.AlignedData;
    this.plot.setData(data);
    this.container.dataset['points'] = String(x.length);
  }

  destroy(): void {
    this.plot.destroy();
  }

  /** Fits the chart to its container after a layout change. */
  resize(): void {
    this.plot.setSize({ width: Math.max(300, this.container.clientWidth), height: 200 });
  }
}
