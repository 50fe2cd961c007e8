/**
 * Base class for every error Portcullis throws. Each capability subclasses it with a literal
 * union of codes, so callers (the CLI's exit-code table, the server's HTTP table) switch on
 * `code` instead of parsing messages.
 */
export class PortcullisError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export type CoreErrorCode =
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'LIMIT_EXCEEDED'
  | 'PATH_UNSAFE'
  | 'IO_FAILED'
  | 'ARCHIVE_INVALID';

export class CoreError extends PortcullisError<CoreErrorCode> {}

/** True when `err` is a PortcullisError (of any capability). */
export function isPortcullisError(err: unknown): err is PortcullisError {
  return err instanceof PortcullisError;
}

/** Shortens untrusted input for inclusion in an error message. */
export function truncateForMessage(input: string, max = 120): string {
  const oneLine = input.replace(/[\r\n\t]/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}…(${oneLine.length} chars)`;
}

/** The message of any thrown value, for wrapping lower-level errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
