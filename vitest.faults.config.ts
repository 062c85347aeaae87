import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config';

/** `npm run test:faults`: the slow fault suites (test/faults/), on the same servers as `npm test`. */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/faults/**/*.test.ts'], exclude: configDefaults.exclude },
});
