import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests for a real board, excluded from the root config. Run from the project root:
//   npx vitest run --config hardware-tests/vitest.config.ts
export default defineConfig({
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  test: {
    include: ['hardware-tests/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    // One file at a time: every file uses the same GPIO lines.
    fileParallelism: false,
    testTimeout: 30_000,
  },
});
