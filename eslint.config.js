import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'child_process', 'net', 'http', 'https', 'stream', 'url', 'util', 'events', 'timers'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.temporal-bin/**', '.fuzz/**', 'db/migrations/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through config.ts' }],
    },
  },
  {
    // Workflow code is replayed: no I/O, no Node APIs, and activities only as types.
    files: ['workflows/**/*.ts', 'core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'postgres', 'drizzle-orm', 'pino', 'fastify', '@temporalio/client', '@temporalio/worker'].map(
            (name) => ({ name, message: 'not allowed in deterministic workflow code' }),
          ),
          patterns: [
            { group: ['node:*'], message: 'Node built-ins are not allowed in workflow code' },
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'import activities only as types' },
            { group: ['**/db/*', '**/api/*'], message: 'workflow code must not reach the database or the API' },
          ],
        },
      ],
    },
  },
  {
    // Domain, storage and workers speak the core vocabulary (core/failures.ts,
    // core/principal.ts); HTTP is the API's business alone.
    files: ['accounts/**/*.ts', 'activities/**/*.ts', 'cases/**/*.ts', 'db/**/*.ts', 'documents/**/*.ts', 'identity/**/*.ts', 'inbox/**/*.ts', 'lib/**/*.ts', 'metrics/**/*.ts', 'notifications/**/*.ts', 'results/**/*.ts', 'signatures/**/*.ts', 'temporal/**/*.ts', 'vehicles/**/*.ts', 'worker.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/api', '**/api/*', 'fastify', '@fastify/*'], message: 'only api/ speaks HTTP; use core/failures.ts and core/principal.ts' }] },
      ],
    },
  },
  {
    files: ['config.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'temporal/binaries.ts', 'vitest.config.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
