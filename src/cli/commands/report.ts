/**
 * `flotilla report RUN --out report.html [--db PATH | --config server.yaml]`: one self-contained HTML file about a
 * recorded run (training curves, the final model's ROC, precision-recall, calibration and confusion matrix when the
 * run recorded them, per-client table, privacy spending, bytes), viewable offline. uPlot is inlined from
 * node_modules at report time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { FlotillaError } from '../../core/index.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import { reportData } from '../../telemetry/tracking/report-data.js';
import { renderReport, type ReportAssets } from '../../telemetry/tracking/report-html.js';
import { usageError, type Command } from '../command.js';
import { commandSettings, text } from '../settings/index.js';
import { DB_SETTINGS } from './clients.js';
import { DEFAULT_RUNS_DB, runsDbPath } from './runs.js';

export const REPORT_SCHEMA = z.strictObject({
  ...DB_SETTINGS,
  out: text().default('report.html').meta({ description: 'the HTML file to write' }),
});
const REPORT_COMMAND = commandSettings(REPORT_SCHEMA);

/** uPlot's browser build and stylesheet, as installed with Flotilla. */
export function reportAssets(): ReportAssets {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return { uplotJs: read('uPlot.iife.min.js'), uplotCss: read('uPlot.min.css') };
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report of a recorded run (curves, ROC, calibration, clients)',
  help: () =>
    [
      'Usage: flotilla report RUN [--out report.html] [--db PATH | --config server.yaml]',
      '',
      `Without --db or --config: the database simulations record in (${DEFAULT_RUNS_DB}).`,
      '',
      REPORT_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = REPORT_COMMAND.read(args);
    const [runId, ...extra] = line.positionals;
    if (runId === undefined || extra.length > 0)
      throw usageError('usage: flotilla report RUN --out report.html');
    const storage = SqliteStorage.open(runsDbPath(v.db, v.config), { mustExist: true });
    let html: string;
    try {
      const run = await storage.getRun(runId);
      if (!run)
        throw new FlotillaError('STORAGE_NOT_FOUND', `no run "${runId}" (see \`flotilla runs list\`)`);
      html = renderReport(
        reportData(run, await storage.rounds(runId), await storage.events(runId)),
        reportAssets(),
      );
    } finally {
      await storage.close();
    }
    writeFileSync(v.out, html);
    process.stdout.write(`Report of run ${runId} written to ${v.out}\n`);
    return 0;
  },
};
