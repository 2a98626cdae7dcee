import { kataVitestConfig } from '../vitest.shared.ts';

// Pods boot VMs under TCG on a shared 2-core machine: longer timeouts, one file at a time.
export default kataVitestConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    fileParallelism: false,
  },
});
