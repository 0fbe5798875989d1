import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The isomorphic folders (DESIGN principle 3) run unchanged in Node and in browsers: they may use no Node built-in,
 * no Node-only package, no Node global. Platform needs go through interfaces implemented in client/node and
 * client/web. node-seal (CKKS) loads in browsers but only privacy/he may load it, so that a client never carries it
 * unless its run uses homomorphic aggregation; TF.js stays in ml/ (DESIGN principle 1).
 */
const ISOMORPHIC = [
  'src/core/**',
  'src/protocol/**',
  'src/strategy/**',
  'src/privacy/**',
  'src/compression/**',
  'src/client/**',
];
const NOT_ISOMORPHIC = ['src/client/node/**', '**/*.test.ts'];
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
const NODE_ONLY_PACKAGES = ['ws', 'better-sqlite3', 'fastify', 'fastify/*', '@fastify/*', 'pg', 'pg/*'];
const SEAL = ['node-seal', 'node-seal/*'];
const TFJS = ['@tensorflow/*'];
/** The layers above the isomorphic ones (DESIGN "Layout"), and the client's Node platform code. */
const NODE_SIDE_LAYERS = [
  ...[
    'engine',
    'transport',
    'storage',
    'server',
    'sim',
    'federation',
    'cli',
    'telemetry',
    'ml',
    'data',
    'vertical',
    'public',
  ].map((layer) => `**/${layer}/*`),
  '**/client/node/*',
  './node/*',
  '../node/*',
];

/**
 * What the client runtime must not load: the privacy barrels and the server-side modules behind them (the SecAgg+
 * server and simulation harness, the CKKS aggregator and node-seal's loader). It imports the narrow client modules.
 */
const SERVER_SIDE_PRIVACY = [
  '**/privacy/index.js',
  '**/privacy/secagg/index.js',
  '**/privacy/secagg/server.js',
  '**/privacy/secagg/simulate.js',
  '**/privacy/he/index.js',
  '**/privacy/he/aggregator.js',
  '**/privacy/he/seal.js',
];

function restrictedImports({ allowSeal = false, client = false } = {}) {
  return [
    'error',
    {
      paths: NODE_BUILTINS.map((name) => ({
        name,
        message:
          'isomorphic code runs in browsers: use a platform interface (client/node, client/web) instead.',
      })),
      patterns: [
        { group: ['node:*'], message: 'isomorphic code runs in browsers: no node: modules.' },
        { group: NODE_ONLY_PACKAGES, message: 'a Node-only package: isomorphic code runs in browsers.' },
        { group: TFJS, message: 'TF.js lives only in ml/: isomorphic code works on ParameterSet.' },
        {
          group: NODE_SIDE_LAYERS,
          message:
            'isomorphic code imports only core, protocol, strategy, privacy, compression and client (DESIGN).',
        },
        ...(client
          ? [
              {
                group: SERVER_SIDE_PRIVACY,
                message:
                  'client code imports the narrow privacy modules it needs, not barrels or server code.',
              },
            ]
          : []),
        ...(allowSeal
          ? []
          : [
              {
                group: SEAL,
                message: 'node-seal (CKKS) loads only in privacy/he, so a client carries it only when used.',
              },
            ]),
      ],
    },
  ];
}

/** no-restricted-imports does not see import(): the same names, as a literal dynamic import, are refused here. */
function restrictedDynamicImports({ allowSeal }) {
  const names = [
    ...NODE_BUILTINS,
    'ws',
    'better-sqlite3',
    'fastify',
    'pg',
    ...(allowSeal ? [] : ['node-seal']),
  ];
  const escaped = names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|');
  return [
    'error',
    {
      selector: `ImportExpression > Literal[value=/^(node:|@fastify\\/|@tensorflow\\/|(${escaped})(\\/|$))/]`,
      message:
        'isomorphic code runs in browsers: no dynamic import of a Node built-in or a Node-only package.',
    },
  ];
}

const NODE_GLOBALS = [
  'process',
  'Buffer',
  '__dirname',
  '__filename',
  'require',
  'module',
  'global',
  'setImmediate',
  'clearImmediate',
].map((name) => ({ name, message: `"${name}" is a Node global: isomorphic code runs in browsers.` }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.flotilla/', 'web/vendor/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['bin/**/*.js', 'templates/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ISOMORPHIC,
    ignores: NOT_ISOMORPHIC,
    rules: {
      'no-restricted-imports': restrictedImports(),
      'no-restricted-syntax': restrictedDynamicImports({ allowSeal: false }),
      'no-restricted-globals': ['error', ...NODE_GLOBALS],
    },
  },
  {
    files: ['src/client/**'],
    ignores: NOT_ISOMORPHIC,
    rules: { 'no-restricted-imports': restrictedImports({ client: true }) },
  },
  {
    files: ['src/privacy/he/**'],
    ignores: NOT_ISOMORPHIC,
    rules: {
      'no-restricted-imports': restrictedImports({ allowSeal: true }),
      'no-restricted-syntax': restrictedDynamicImports({ allowSeal: true }),
    },
  },
);
