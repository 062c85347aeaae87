import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workflow bundles and the Temporal runtime are heavy: few files at once on 2 cores.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
