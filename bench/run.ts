/**
 * `npm run bench`: runs every benchmark module and prints one JSON object keyed by benchmark name. Each module
 * exports `name` and `run(): Promise<object>`. `npm run bench -- NAME...` runs only the named ones.
 * Performance targets are checked here, in numbers, not in timed tests.
 */
import * as browserPage from './browser-page.js';
import * as browserTraining from './browser-training.js';
import * as connections from './connections.js';
import * as core from './core.js';
import * as dashboard from './dashboard.js';
import * as dpSgd from './dp-sgd.js';
import * as he from './he.js';
import * as learning from './learning.js';
import * as reportIntervals from './report-intervals.js';
import * as roundOverhead from './round-overhead.js';
import * as secagg from './secagg.js';
import * as strategies from './strategies.js';

interface Benchmark {
  readonly name: string;
  run(): Promise<object>;
}

const BENCHMARKS: readonly Benchmark[] = [
  core,
  strategies,
  dpSgd,
  roundOverhead,
  connections,
  learning,
  he,
  secagg,
  reportIntervals,
  browserTraining,
  dashboard,
  browserPage,
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(2);
}
const results: Record<string, object> = {};
for (const bench of BENCHMARKS) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  process.stderr.write(`running ${bench.name}...\n`);
  results[bench.name] = await bench.run();
}
process.stdout.write(
  `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`,
);
