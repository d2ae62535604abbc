// typescript-eslint strict, plus the import boundaries of STYLE.md habit 13, each with its reason.
import tseslint from 'typescript-eslint';

const adapterBoundary = {
  patterns: [
    {
      group: ['**/src/catalog/**', '**/src/api/**', '**/src/xds/**', '**/src/pipeline/**', '**/src/cli/**'],
      message:
        'Adapters only translate: import src/registry.ts, src/model/** and src/errors.ts, nothing downstream.',
    },
  ],
  paths: [
    {
      name: 'better-sqlite3',
      message: 'Only the stores (src/catalog/store.ts, src/registration/store.ts) touch SQLite.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'src/generated/**', 'bench/results/**'],
  },
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // noUncheckedIndexedAccess is on; `map.get(k)!` after a has(), or `arr[i]!` in a bounded loop, is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['registries/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', adapterBoundary] },
  },
  {
    files: ['src/**/*.ts'],
    // The two stores own their SQLite connections: the catalog's (one transaction per batch) and the
    // registrations' (synchronous = FULL, so a 2xx is on disk). Everything else reads their in-memory views.
    ignores: ['src/catalog/store.ts', 'src/catalog/migrations.ts', 'src/registration/store.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'better-sqlite3',
              message: 'Only the stores (src/catalog/store.ts, src/registration/store.ts) touch SQLite.',
            },
          ],
        },
      ],
    },
  },
);
