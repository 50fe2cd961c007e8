// `npm start -- <command> [args]`: installs npm dependencies if needed, builds, and runs the
// portcullis CLI with the given arguments.
import { ensureNodeModules, run } from './lib.mjs';

ensureNodeModules();
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
// npm runs scripts from the package root; the user's paths are relative to where they typed.
run(process.execPath, [new URL('../dist/cli/main.js', import.meta.url).pathname, ...process.argv.slice(2)], {
  cwd: process.env.INIT_CWD ?? process.cwd(),
});
