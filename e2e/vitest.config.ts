import { defineConfig } from 'vitest/config';

// Pods boot VMs under TCG on a shared 2-core machine: long timeouts, one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
