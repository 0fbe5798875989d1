/**
 * Run settings of how a run is recorded. `runId` names the run in a database for every command (a server resumes an
 * existing run, a simulation refuses one); `record` and `runsDb` say where `simulate` records (a server records in
 * its own `db`).
 */
import { z } from 'zod';
import { text } from './define.js';

export const TRACKING_SETTINGS = {
  runId: text().optional().meta({
    description:
      'run id: server: an existing run is resumed (default "default"); simulate: a new run to record (default sim-<time>-<random>)',
  }),
  record: z.boolean().default(true).meta({
    description:
      'flotilla simulate: record the run (rounds, events, final model) in runsDb; --no-record skips it (the library records nothing)',
  }),
  runsDb: text().default('.flotilla/runs.db').meta({
    description: 'flotilla simulate: the SQLite database runs are recorded in (created if missing)',
  }),
};
