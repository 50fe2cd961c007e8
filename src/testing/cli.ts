// Test-only: runs the CLI in-process with captured output and a controlled environment.
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../cli/index.js';

export type CliRun = { readonly code: number; readonly stdout: string; readonly stderr: string };

/**
 * Runs `portcullis argv…` in `cwd` with HOME and the cache under `cwd` (never the user's), the
 * given stdin and extra environment.
 */
export async function runCliCaptured(
  argv: readonly string[],
  cwd: string,
  opts: { readonly stdin?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    env: { PATH: process.env['PATH'], HOME: cwd, PORTCULLIS_CACHE_DIR: path.join(cwd, 'cache'), ...opts.env },
    cwd,
  });
  return { code, stdout: out, stderr: err };
}
