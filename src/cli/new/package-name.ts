/**
 * Whether a project name can be the `name` of a package.json that npm accepts for a new package: at most 214
 * characters, lower case, URL-safe, not starting with "." or "_", optionally scoped (`@scope/name`), and not the
 * name of a Node built-in module (a dependency named `fs` would be shadowed). The rules are npm's, written out here
 * so `flotilla new` needs no extra dependency.
 */
import { builtinModules } from 'node:module';

const MAX_LENGTH = 214;
const RESERVED = new Set(['node_modules', 'favicon.ico']);

function partProblem(part: string): string | undefined {
  if (part.length === 0) return 'it has an empty part';
  if (part.startsWith('.') || part.startsWith('_')) return 'it starts with "." or "_"';
  if (part !== part.trim()) return 'it has leading or trailing spaces';
  if (/[~'!()*]/.test(part)) return `it contains one of the characters ~'!()*`;
  if (encodeURIComponent(part) !== part) return 'it contains characters that are not URL-safe';
  return undefined;
}

/** Why `name` is not a valid npm package name, or undefined when it is. */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (name !== name.toLowerCase()) return 'it has upper-case letters';
  if (RESERVED.has(name)) return 'it is reserved';
  if (builtinModules.includes(name)) return 'it is the name of a Node.js built-in module';
  const scoped = /^@([^/]*)\/([^/]*)$/.exec(name);
  if (name.startsWith('@') && !scoped) return 'a scoped name is @scope/name';
  if (scoped) return partProblem(scoped[1]!) ?? partProblem(scoped[2]!);
  return partProblem(name);
}

/** The folder a project named `name` is created in: the name without its scope. */
export function projectFolderName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}
