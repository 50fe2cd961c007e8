/**
 * What library code may say about its work. Library code never prints: it takes an optional
 * logger. Implementations must not receive secrets; callers redact before logging.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
};

/** A logger that records entries in memory, for tests that check what was (not) logged. */
export function createMemoryLogger(): Logger & {
  readonly entries: { level: string; msg: string; fields?: Record<string, unknown> }[];
} {
  const entries: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const push = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    entries.push(fields === undefined ? { level, msg } : { level, msg, fields });
  };
  return { entries, debug: push('debug'), info: push('info'), warn: push('warn') };
}
