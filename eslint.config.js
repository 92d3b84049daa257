// typescript-eslint with type information (part of `npm test`): above all the rules that catch
// unawaited and misused promises (an unawaited grading once went unnoticed in the queue).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Submissions and assignment helpers are the students' and instructors' JavaScript, graded, not ours.
  { ignores: ['node_modules/', 'dist/', 'data/', 'artifacts/', 'bench/python/', 'sandbox/assignments/', 'tests/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() and describe() return promises that the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Async methods without an await implement an async interface (the SQLite store answers at once).
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // The harness inside the isolate (type-checked with JSDoc): it takes the built-ins it needs
    // unbound before a submission can replace them, handles the submission's values, which are
    // whatever it made, pauses for the host's inspector on `debugger`, unwinds a replay with a
    // sentinel that is not an Error, and is a script whose completion value is its API.
    files: ['sandbox/runtime/**'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      'no-debugger': 'off',
    },
  },
  {
    // The native reader's build script runs under whatever Node npm runs (it is JavaScript, so that
    // any Node can): Node's globals, which the TypeScript sources have from their types.
    files: ['sandbox/native/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Response bodies are untyped JSON in the tests; they are checked against openapi.yaml instead.
    // Control characters in patterns are what the tests look for (in XML, in names).
    files: ['tests/**'],
    rules: {
      'no-control-regex': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
