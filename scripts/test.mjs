// The whole test suite, from a fresh clone: installs what it needs (npm packages, the Debian
// packages the integration tests start, the Debian image fixture), then type-checks, lints,
// builds and runs every test. Extra arguments go to vitest (e.g. `npm test -- src/oci`).
import { ensureDebianPackages, ensureNodeModules, run, TEST_PACKAGES } from './lib.mjs';
import { ensureDebianFixture } from './fixtures.mjs';

ensureNodeModules();
ensureDebianPackages(TEST_PACKAGES);
ensureDebianFixture();

const extra = process.argv.slice(2);
console.error('== type-check');
run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
console.error('== lint');
run('npx', ['eslint', '--max-warnings', '0', '.']);
console.error('== build');
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
console.error('== tests');
run('npx', ['vitest', 'run', ...extra]);
