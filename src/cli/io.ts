import { PortcullisError } from '../core/index.js';

/** The process's streams and environment, passed in so commands can be run in tests. */
export type CliIO = {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /**
   * For long-running commands (`admission serve`): takes over SIGTERM and SIGINT and returns a
   * signal aborted on the first of them, so the command can drain and stop. Other commands never
   * call it, and keep the default of dying on those signals. Absent: run until the process ends.
   */
  readonly stopSignal?: () => AbortSignal;
};

/** A problem with how the command was called (unknown flag, missing argument). */
export class UsageError extends PortcullisError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}
