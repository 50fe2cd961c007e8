// Test-only: runs the CLI in-process with captured output and a controlled environment.
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli, type CliIO } from '../cli/index.js';
import { createMemoryLogger, type Logger } from '../core/index.js';

export type CliRun = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** A CLI's streams captured in memory; `stdout()` and `stderr()` read what was written so far. */
export type CapturedIO = { readonly io: CliIO; stdout(): string; stderr(): string };

/** Streams for calling a command in-process: stdin a plain (non-terminal) stream holding `stdin`. */
export function captureCliIO(opts: {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: string;
  /** Given to long-running commands as their stop signal (see CliIO.stopSignal). */
  readonly stop?: AbortSignal;
}): CapturedIO {
  const stop = opts.stop;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    io: {
      stdout,
      stderr,
      stdin: Readable.from(opts.stdin === undefined || opts.stdin === '' ? [] : [Buffer.from(opts.stdin)]),
      env: opts.env ?? {},
      cwd: opts.cwd,
      ...(stop !== undefined ? { stopSignal: () => stop } : {}),
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** One command's entry point, as the files in src/cli/commands export them. */
export type CommandFn = (argv: string[], io: CliIO, logger: Logger) => Promise<number>;

/** Calls one command directly with captured streams and a memory logger. */
export async function runCommandCaptured(
  command: CommandFn,
  argv: readonly string[],
  opts: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly stdin?: string },
): Promise<CliRun & { readonly logger: ReturnType<typeof createMemoryLogger> }> {
  const c = captureCliIO(opts);
  const logger = createMemoryLogger();
  const code = await command([...argv], c.io, logger);
  return { code, stdout: c.stdout(), stderr: c.stderr(), logger };
}

/**
 * Runs `portcullis argv…` in `cwd` with HOME and the cache under `cwd` (never the user's), the
 * given stdin and extra environment.
 */
export async function runCliCaptured(
  argv: readonly string[],
  cwd: string,
  opts: { readonly stdin?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const c = captureCliIO({
    cwd,
    env: { PATH: process.env['PATH'], HOME: cwd, PORTCULLIS_CACHE_DIR: path.join(cwd, 'cache'), ...opts.env },
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
  });
  const code = await runCli(argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}
