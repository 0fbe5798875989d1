/** The settings toolkit: declare settings with zod (define.ts), read them (read.ts), show them (present.ts). */
export { count, flagName, group, text, type SettingHelp } from './define.js';
export { fieldsOf, settingsJsonSchema, type Field } from './fields.js';
export { configError } from './errors.js';
export { parseCommandLine, type CommandLine } from './command-line.js';
export { configLayer, readConfigFile, readSettings, type Layer, type ReadSettings } from './read.js';
export { formatHelp, optionsMarkdown } from './present.js';
export { commandSettings, type CommandSettings } from './command.js';
