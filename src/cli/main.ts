#!/usr/bin/env node
import { runCli } from './run.js';

// A reader that stops early (`portcullis … | head`) is not an error: stop writing, quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// A server command asks for the stop signal; only then do SIGTERM and SIGINT drain it instead of
// killing the process, and a second signal still exits at once.
const stop = new AbortController();
function stopSignal(): AbortSignal {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort(new Error(`received ${sig}`));
    });
  }
  return stop.signal;
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  stopSignal,
});
