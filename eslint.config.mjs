// Import boundaries are enforced here, not left to folklore (see docs/architecture.md).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrict = (paths, patterns, message) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({ name, message })),
      patterns: patterns.map((group) => ({ group: [group], message })),
    },
  ],
});

export default tseslint.config(
  {
    ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/e2e/code-server/**', 'test-results/**', 'test/fixtures/**'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(['vscode'], ['**/extension/**', '**/webview/**', '**/shared/**'], 'src/core is a Node library: no vscode, no extension or webview code.'),
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: restrict(['vscode', ...nodeBuiltins], ['**/core/**', '**/extension/**', '**/webview/**'], 'src/shared is plain data and protocols: no vscode, no Node built-ins, no other layer.'),
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: restrict(['vscode', ...nodeBuiltins], ['**/core/**', '**/extension/**'], 'Webview code runs in a browser and may import src/shared only.'),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: restrict([], ['**/webview/**'], 'The extension host talks to webviews through src/shared protocols only.'),
  },
);
