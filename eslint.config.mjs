// Lint and format, as the cdklabs libraries do (their projen setup): typescript-eslint, import order and no duplicate
// imports, no floating promises, and ESLint Stylistic as the formatter (`npm run format` is `eslint --fix`).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/', 'cdk.out/', 'coverage/', 'assets/', 'dist/', '.jsii', 'API.md',
      '**/*.d.ts', 'lib/**/*.js', 'lambda/**/*.js', 'examples/**/*.js',
      'test/**/cdk.out/', 'test/cdk-integ.out.*/', 'test/integ.drain.ts.snapshot/', '.readme-examples/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Type-aware: a promise nobody awaits loses its failure (a drain step that failed silently).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `typeof import(...)` types a module a test loads lazily, after its mocks are in place.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and the emulator require() a few modules lazily on purpose (a fresh module per test, or a mocked command).
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The emulator and the tests read and build untyped JSON (wire bodies, CloudFormation templates, event payloads):
    // `any` there is the honest type. The construct and the handler stay without it.
    files: ['emulator/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' },
      sourceType: 'commonjs',
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['eslint.config.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    plugins: { 'import-x': importX, '@stylistic': stylistic },
    rules: {
      'import-x/no-duplicates': 'error',
      'import-x/order': ['error', {
        'groups': ['builtin', 'external', 'internal', 'parent', 'sibling', 'index'],
        'alphabetize': { order: 'asc', caseInsensitive: true },
        'newlines-between': 'never',
      }],
      '@stylistic/max-len': ['error', {
        code: 150, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true, ignoreRegExpLiterals: true,
      }],
      '@stylistic/indent': ['error', 2, { SwitchCase: 1 }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1 }],
      '@stylistic/eol-last': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/member-delimiter-style': 'error',
      '@stylistic/type-annotation-spacing': 'error',
      '@stylistic/quote-props': ['error', 'consistent-as-needed'],
      'no-duplicate-imports': 'off', // import-x/no-duplicates, which understands `import type`
      'curly': ['error', 'multi-line', 'consistent'],
      'eqeqeq': ['error', 'always'],
    },
  },
);
