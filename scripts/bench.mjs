// `npm run bench`: set-up as the tests do, compile src + bench, run bench/run.ts.
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, repoRoot, run, TEST_PACKAGES } from './lib.mjs';
import { ensureDebianFixture, fixturesDir } from './fixtures.mjs';

ensureNodeModules();
ensureDebianPackages(TEST_PACKAGES);
ensureDebianFixture();
run('npx', ['tsc', '-p', 'tsconfig.bench.json']);
run(process.execPath, [path.join(repoRoot, '.cache', 'bench-build', 'bench', 'run.js')], {
  env: {
    ...process.env,
    PORTCULLIS_FIXTURES: fixturesDir,
    PORTCULLIS_SHARED_DATA: path.resolve(repoRoot, '..', 'shared', 'data'),
  },
});
