import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-restricted-imports': 'off',
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
