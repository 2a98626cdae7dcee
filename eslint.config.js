// One lint config for every project; each project runs `eslint src` from its own folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/src/gen/**', '**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Tests, tools and benchmarks may print.
    files: ['**/*.test.ts', '**/test/**', 'tools/**', 'bench/**', 'apps/image-builder/**', 'apps/kata-runtime/**'],
    rules: { 'no-console': 'off' },
  },
);
