import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config';

/**
 * The timers suite first, and the heaviest of the others last. It spends most of its seven
 * minutes waiting for its timers to fall due, and the others run beside it then; but its
 * first two minutes, opening 1,000 registrations, set how far apart those timers fall due.
 * On a slow 2-core machine: with it last and alone (vitest's order on a fresh clone, the
 * smallest file last) the fault suites took 555 s; first, beside the worker-kill suite,
 * 601 s (registrations opened in 262 s instead of 111); in this order 503 s (175 s).
 */
const ORDER = ['timers-restart', 'postgres-outage', 'temporal-restart', 'api-kill', 'worker-kill'];

class TimersFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = ORDER.indexOf(path.basename(f.moduleId, '.test.ts'));
      return i < 0 ? ORDER.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

/** `npm run test:faults`: the slow fault suites (test/faults/), on the same servers as `npm test`. */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/faults/**/*.test.ts'], exclude: configDefaults.exclude, sequence: { sequencer: TimersFirst } },
});
