// The whole test suite, from a fresh clone: installs what it needs (npm packages, the Debian
// packages the integration tests start, the Debian image fixture), then type-checks, lints,
// builds and runs every test. Extra arguments go to vitest (e.g. `npm test -- src/oci`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, repoRoot, run, TEST_PACKAGES } from './lib.mjs';
import { ensureDebianFixture } from './fixtures.mjs';

ensureNodeModules();
ensureDebianPackages(TEST_PACKAGES);
ensureDebianFixture();

const extra = process.argv.slice(2);
console.error('== type-check');
run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
console.error('== lint');
run('npx', ['eslint', '--max-warnings', '0', '.']);
run('npx', ['prettier', '--check', '--log-level', 'warn', '.']);
console.error('== build');
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
console.error('== tests');
const results = path.join(repoRoot, '.cache', 'vitest-results.json');
rmSync(results, { force: true });
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...extra],
  { stdio: 'inherit', cwd: repoRoot },
);
// A plain closing line that any CI log reader understands, whatever vitest printed above it.
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(
    `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
  if (r.numTotalTests === 0) {
    console.error('no tests ran');
    process.exit(1);
  }
}
process.exit(vitest.status ?? 1);
