// One lint config for every project; each project runs `eslint src` from its own folder.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers, held by lint rather than discipline (each project's package.json `nx.tags`):
 * the guest agent may use only what is shared with the host; shared libraries use only each
 * other; host code uses host and shared code; libraries never import apps; test projects
 * (testing, e2e, bench) may use anything.
 */
const LAYERS = [
  { sourceTag: 'scope:guest', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:host', onlyDependOnLibsWithTags: ['scope:host', 'scope:shared'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['*'] },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/src/gen/**', '**/node_modules/**', '**/vitest.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      // Parse the imported .ts files too, or their imports (and so cycles) stay unseen.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts'],
    },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { depConstraints: LAYERS, banTransitiveDependencies: false }],
      // No file may reach itself through its imports, type-only imports included.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // Tests, tools and benchmarks may print.
    files: ['**/*.test.ts', '**/test/**', 'tools/**', 'bench/**', 'apps/image-builder/**', 'apps/kata-runtime/**'],
    rules: { 'no-console': 'off' },
  },
);
