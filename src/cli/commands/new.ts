/**
 * `flotilla new NAME [--template tabular|image|custom-trainer] [--dir PARENT]`: creates a runnable project in
 * PARENT/NAME (a package.json depending on flotilla, a config, the model or trainer file, a README) that
 * `npm install && npm start` trains.
 */
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { createProject, TEMPLATE_NAMES } from '../new/project.js';
import { commandSettings, text } from '../settings/index.js';

export const NEW_SCHEMA = z.strictObject({
  template: z.enum(TEMPLATE_NAMES).default('tabular').meta({
    description:
      'tabular (a CSV with a column schema, run by flotilla simulate), image (your TF.js model on MNIST), or custom-trainer (your own training code in plain JavaScript)',
  }),
  dir: text()
    .optional()
    .meta({ description: 'folder to create the project in (default: the current folder)' }),
});

const NEW_COMMAND = commandSettings(NEW_SCHEMA);

const USAGE = 'usage: flotilla new NAME [--template tabular|image|custom-trainer] [--dir PARENT]';

export const newCommand: Command = {
  name: 'new',
  summary: 'create a project to train your own data, model or trainer (npm install && npm start)',
  help: () => [USAGE.replace('usage', 'Usage'), '', NEW_COMMAND.help()].join('\n'),
  async run(args) {
    const { line, settings } = NEW_COMMAND.read(args);
    const [name, ...extra] = line.positionals;
    if (name === undefined || extra.length > 0) throw usageError(USAGE);
    const project = createProject({
      name,
      template: settings.template,
      parent: settings.dir ?? process.cwd(),
    });
    process.stdout.write(
      [
        `created ${project.dir} from the ${settings.template} template:`,
        ...project.files.map((file) => `  ${file}`),
        '',
        'next:',
        `  cd ${project.dir}`,
        '  npm install && npm start',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
