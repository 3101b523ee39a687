// Lint: typescript-eslint's type-aware recommended rules over src, test and bench
// (the TypeScript the build compiles), and ESLint's recommended rules over the few .mjs scripts.
// Layout (quotes, spacing, width) is prettier's job, not lint's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// `const { key: _dropped, ...rest } = obj` is how the code omits a key; `_name` marks a parameter kept for its position.
const unusedVars = {
  ignoreRestSiblings: true,
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
};

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'results/', 'test/interop/langgraph/node_modules/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', unusedVars],
      // A `let` assigned once after a closure that reads it (e.g. target-server's gateway) cannot be const: the
      // closure would hit the temporal dead zone instead of seeing undefined.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // The layout's rules (docs/architecture.md): src/core/ is pure and depends on nothing outside it, and the CLI is
  // a shell over the library, so nothing but the CLI imports from src/cli/.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/cli/*'], message: 'The library does not depend on its CLI: move the shared part inward.' },
          ],
        },
      ],
    },
  },
  // After the rule above, which it replaces for src/core/ (its relative-import pattern covers ../cli too).
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'ws', 'undici', 'pino', 'socket.io*'],
              message: 'src/core/ does no I/O.',
            },
            {
              group: ['../*/**', '!../core/**'],
              message: 'src/core/ depends on nothing outside it: pass what it needs in.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node:test's test()/describe() return promises its runner awaits; every other promise must still be handled.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // Tests read what a real socket or the CLI returned (JSON.parse gives `any`) and then assert on its shape;
      // the assertion is the check, so typing every body first would add casts, not safety. src/ and bench/ keep these rules.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      'no-unused-vars': ['error', unusedVars],
    },
  },
);
