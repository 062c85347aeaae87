import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `tests: N passed, N failed, N skipped`, so a log reader
 * that knows no vitest (CI's among them) sees how many tests ran; vitest's own summary is
 * coloured and spread over several lines.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
    }
    // A file that failed with no failed test (it did not load, or a hook failed and its tests were skipped) counts as a failure too.
    const brokenFiles = testModules.filter((m) => m.state() === 'failed' && ![...m.children.allTests()].some((t) => t.result().state === 'failed')).length;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed + brokenFiles} failed, ${counts.skipped + counts.pending} skipped\n`,
    );
  }
}
