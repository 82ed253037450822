// ESLint for the TypeScript of every workspace: typescript-eslint's `recommended` (syntax only, not
// type-checked, so linting the whole tree takes seconds); formatting is Prettier's (.prettierrc.json).
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Every workspace's TypeScript.
const TYPESCRIPT = [
  'functions/**/*.ts',
  'packages/**/*.ts',
  'local-stack/**/*.ts',
  'bench/**/*.ts',
  'burst/**/*.ts',
  'chaos/**/*.ts',
  'simulators/**/*.ts',
  'helm/check/**/*.ts',
];

// ─── Import boundaries (issue 17, point 1) ─────────────────────────────────────────────────────
// A package is used through its name and its `exports` map, never through its files. The rules
// live in packages/testing/import-rules.json, which packages/testing/test/imports.test.ts applies
// too (it also catches a relative path into another package, which a pattern cannot see, and
// require()/import()/jest.mock paths); the block that applies them here is
// `premiere/import-boundaries` below.
const importRules = JSON.parse(readFileSync(new URL('./packages/testing/import-rules.json', import.meta.url), 'utf8'));
const IMPORT_BOUNDARIES = {
  patterns: [
    ...importRules.forbidden.map((r) => ({ regex: r.pattern, message: r.message })),
    {
      // Climbing out of this package into a top-level folder (../../local-stack/src/…) or a sibling
      // package's files (../../issue-token/src); within a package it is ../src/….
      regex:
        '^(\\.\\./)+((functions|packages|local-stack|bench|burst|chaos|simulators|helm)(/|$)|([^./][^/]*/)+(src|test|dist)(/|$))',
      message: importRules.relativeStaysInPackage.message,
    },
  ],
};

export default defineConfig(
  // What .gitignore ignores (ESLint does not read it), and the chart (Go templates, no code).
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '**/coverage/',
    '**/test-artifacts/',
    '**/*.d.ts',
    '.premiere/',
    'reports/',
    'helm/check/*/bin/',
    'helm/premiere/',
  ]),
  {
    files: TYPESCRIPT,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // `any` marks what is not typed yet on purpose: parsed YAML/JSON manifests (helm/check), event
      // data and Redis script calls, which issue 17 (points 2 and 3) types; on again after those.
      '@typescript-eslint/no-explicit-any': 'off',
      // `_`-named bindings say "unused on purpose" (omitted by a rest destructuring, unused arguments).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A rethrown error here carries its cause's message in its own; an attached `cause` would be
      // printed twice by pino's err serializer ("…failed: boom: boom").
      'preserve-caught-error': 'off',
    },
  },
  {
    name: 'premiere/import-boundaries',
    files: TYPESCRIPT,
    rules: {
      'no-restricted-imports': ['error', IMPORT_BOUNDARIES],
    },
  },
  {
    // Test fixtures in plain JavaScript: CommonJS run by node.
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', setTimeout: 'readonly' } },
  },
  prettier,
);
