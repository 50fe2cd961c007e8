// The CLI's public door, for running Portcullis commands in-process (tests, embedding).
export { runCli } from './run.js';
export type { CliIO } from './io.js';
export { ExitCode, exitCodeFor } from './exit-codes.js';
