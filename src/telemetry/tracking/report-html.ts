/**
 * Renders a run report as ONE self-contained HTML file: tables as markup, charts drawn in the viewer's browser by
 * uPlot (its script and stylesheet inlined, passed in by the caller, which reads them from node_modules). Nothing is
 * fetched: the Content-Security-Policy allows no source at all (`default-src 'none'`) besides the page's own inline
 * script and styles, named by their SHA-256 hashes, and data: images. Opened from a file, it works offline.
 */
import { createHash } from 'node:crypto';
import type { ChartSpec, ClientRow, DiagnosticsView, ReportData } from './report-data.js';
import { REPORT_SCRIPT } from './report-script.js';

export interface ReportAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  readonly uplotJs: string;
  readonly uplotCss: string;
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: 2px 8px; border: 1px solid #e3e3e3; }
th { background: #f6f6f6; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } figure.chart { margin: 0; flex: 1 1 440px; min-width: 320px; }
figcaption { font-weight: 600; margin-bottom: .25rem; } .muted { color: #777; }
.h0 { background: #fff; } .h1 { background: #eef4fb; } .h2 { background: #dce9f7; } .h3 { background: #c6dbef; }
.h4 { background: #9ecae1; } .h5 { background: #6baed6; } .h6 { background: #4292c6; color: #fff; }
.h7 { background: #2171b5; color: #fff; } .h8 { background: #08519c; color: #fff; } .h9 { background: #08306b; color: #fff; }
`;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** JSON that cannot end its <script> element early or open a comment inside it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const num = (v: number | undefined, digits = 4) =>
  v === undefined || !Number.isFinite(v) ? '' : Number.isInteger(v) ? String(v) : v.toFixed(digits);

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]) {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const figures = (charts: readonly ChartSpec[]) =>
  `<div class="charts">${charts
    .map(
      (c) =>
        `<figure class="chart" id="chart-${escapeHtml(c.id)}"><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"></div></figure>`,
    )
    .join('\n')}</div>`;

function clientTable(clients: readonly ClientRow[]): string {
  if (clients.length === 0) return '<p class="muted">No client took part in a committed round.</p>';
  const failures = (f: Readonly<Record<string, number>>) =>
    Object.entries(f)
      .map(([cause, n]) => `${cause} ${n}`)
      .join(', ');
  return table(
    ['client', 'selected', 'took part', 'fit results', 'examples', 'mean fit time (ms)', 'failures'],
    clients.map((c) => [
      c.clientId,
      String(c.selected),
      String(c.participated),
      num(c.fitResults),
      num(c.numExamples),
      num(c.meanFitMs, 0),
      failures(c.failures),
    ]),
    [false, true, true, true, true, true, false],
  );
}

/** Rows: true class; columns: predicted class; each cell shaded by its share of the row. */
function confusionTable(view: DiagnosticsView): string {
  const k = view.confusion.length;
  const head = `<tr><th>true \\ predicted</th>${Array.from({ length: k }, (_, c) => `<th>${c}</th>`).join('')}</tr>`;
  const body = view.confusion
    .map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((n) => {
          const level = total === 0 ? 0 : Math.min(9, Math.floor((n / total) * 10));
          return `<td class="n h${level}">${n}</td>`;
        })
        .join('');
      return `<tr><th>${t}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="confusion">${head}\n${body}</table>`;
}

function diagnosticsSection(d: NonNullable<ReportData['diagnostics']>): string {
  const ece = d.view.expectedCalibrationError;
  return `<h2>Final model${d.round !== undefined ? ` (round ${d.round})` : ''}</h2>
<p>On ${d.view.numExamples} held-out examples, ${d.view.numClasses} classes; expected calibration error ${escapeHtml(num(ece ?? undefined))}.</p>
${figures(d.charts)}
<h3>Confusion matrix</h3>
${confusionTable(d.view)}`;
}

export function renderReport(data: ReportData, assets: ReportAssets): string {
  const css = `${assets.uplotCss}\n${PAGE_CSS}`;
  // A source-map comment would point a viewer's developer tools at a file that is not there.
  const uplot = assets.uplotJs.replace(/\/\/# sourceMappingURL=\S+\s*$/, '');
  const charts = [...data.curves, ...(data.diagnostics?.charts ?? [])];
  const csp = [
    "default-src 'none'",
    `script-src ${hash(uplot)} ${hash(REPORT_SCRIPT)}`,
    `style-src ${hash(css)}`,
    'img-src data:',
  ].join('; ');
  const r = data.run;
  const eventsTable =
    data.events.length === 0
      ? '<p class="muted">No events.</p>'
      : table(
          ['at', 'kind', 'round', 'data'],
          data.events.map((e) => [e.at, e.kind, e.round === undefined ? '' : String(e.round), e.data]),
          [false, false, true, false],
        );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flotilla run ${escapeHtml(r.runId)}</title>
<style>${css}</style>
</head>
<body>
<h1>Flotilla run ${escapeHtml(r.runId)}</h1>
${table(
  ['status', 'strategy', 'rounds committed', 'created', 'updated'],
  [
    [
      `${r.status}${r.statusMessage ? `: ${r.statusMessage}` : ''}`,
      r.strategy,
      String(r.rounds),
      r.createdAt,
      r.updatedAt,
    ],
  ],
  [false, false, true, false, false],
)}
<h2>Training</h2>
${data.curves.length > 0 ? figures(data.curves) : '<p class="muted">No committed round.</p>'}
${
  data.diagnostics
    ? diagnosticsSection(data.diagnostics)
    : '<h2>Final model</h2>\n<p class="muted">This run did not record its final model\'s predictions (simulations record them), so there are no ROC, precision-recall, calibration or confusion plots.</p>'
}
<h2>Clients</h2>
${clientTable(data.clients)}
<h2>Events</h2>
${eventsTable}
<h2>Settings</h2>
<details><summary>${data.settings.length} settings</summary>
${table(['setting', 'value'], data.settings, [false, false])}
</details>
<script type="application/json" id="report-data">${scriptJson({ charts })}</script>
<script>${uplot}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
