// Runs the `flotilla` command from source, so end-to-end tests spawn real processes without a build step.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
