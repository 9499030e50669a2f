// Lint rules, and the module boundaries of CONTRIBUTING.md: who may import whom, and which packages a lib may not use.
import tseslint from 'typescript-eslint';

/** Allowed @gateway/* imports per project (apps may import any lib; no lib imports an app). */
const allowed = {
  contracts: [],
  config: ['contracts'],
  observability: ['config'],
  queue: ['contracts', 'config', 'observability'],
  providers: ['contracts', 'config', 'observability'],
  resilience: ['queue', 'observability', 'config', 'contracts', 'providers'],
  limits: ['queue', 'observability', 'config', 'contracts', 'providers'],
  client: ['contracts'],
  testing: ['contracts', 'config', 'observability', 'queue', 'resilience', 'limits', 'providers', 'client'],
};
const libs = Object.keys(allowed);
const nodeOnly = ['ioredis', 'bullmq', 'express', 'pino', 'prom-client', 'undici', 'node:*'];

const forbidden = (lib) => {
  const group = libs.filter((other) => other !== lib && !allowed[lib].includes(other)).map((other) => `@gateway/${other}`);
  return group.length === 0 ? [] : [{ group, message: `libs/${lib} may import only: ${allowed[lib].join(', ') || 'no other project'} (see CONTRIBUTING.md)` }];
};

const boundaryBlocks = libs.map((lib) => ({
  files: [`libs/${lib}/src/**/*.ts`],
  ignores: ['**/*.spec.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden(lib),
          { group: ['**/apps/*', '../../*', '**/src/*'], message: 'import other projects as @gateway/<lib>, never by path' },
          ...(lib === 'contracts' ? [{ regex: '^(?!zod$|\\./)', message: 'contracts imports nothing but zod' }] : []),
          ...(lib === 'client' ? [{ group: nodeOnly, message: 'the client runs in browsers: fetch only, no node modules' }] : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  // Scripts are not linted, except the operator console's (browser ES modules served as they are, no build step).
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.nx/**', 'tmp/**', '**/*.js', '!apps/api/console/**', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'name your exports (no export *)' }],
    },
  },
  {
    files: ['apps/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/libs/*', '../../*'], message: 'import libs as @gateway/<lib>' },
            { group: ['@gateway/testing'], message: 'testing is for tests only' },
          ],
        },
      ],
    },
  },
  ...boundaryBlocks,
  {
    files: ['apps/api/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'navigator', 'fetch', 'URL', 'FormData', 'Node', 'setTimeout', 'clearTimeout', 'console'].map((name) => [name, 'readonly']),
      ),
    },
    rules: {
      'no-undef': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
