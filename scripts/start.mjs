// `npm start`: installs npm dependencies if needed, builds, and runs the main job, the registry
// (`portcullis serve` on its defaults: 127.0.0.1:5000, data in ./.portcullis). With arguments,
// `npm start -- <command> [args]` runs that portcullis command instead.
import { ensureNodeModules, run } from './lib.mjs';

ensureNodeModules();
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
// npm runs scripts from the package root; the user's paths are relative to where they typed.
const args = process.argv.length > 2 ? process.argv.slice(2) : ['serve'];
run(process.execPath, [new URL('../dist/cli/main.js', import.meta.url).pathname, ...args], {
  cwd: process.env.INIT_CWD ?? process.cwd(),
});
