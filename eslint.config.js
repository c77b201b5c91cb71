import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json', 'vendor/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-restricted-imports': 'off',
      // ssh2 runs as the copy in vendor/ssh2, loaded by src/ssh/ssh2.ts alone; the npm package is
      // there only to build the native crypto binding. Types from @types/ssh2 are fine.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{name: 'ssh2', allowTypeImports: true, message: "Import from src/ssh/ssh2.ts: it loads the vendored ssh2 (vendor/ssh2)."}],
          patterns: [{group: ['ssh2/*'], message: 'Import from src/ssh/ssh2.ts: it loads the vendored ssh2 (vendor/ssh2).'}],
        },
      ],
    },
  },
  {
    // Commands stay thin: they call the library, never ssh2, execa or node:fs directly.
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {paths: ['ssh2', 'execa', 'node:fs', 'node:fs/promises', 'fs']}],
    },
  },
)
