/** How long the client waits between attempts. */
export type RetryPolicy = {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First backoff delay; doubled per attempt. */
  readonly baseDelayMs: number;
  /** Ceiling for computed backoff and for a server's Retry-After. */
  readonly maxDelayMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * Statuses worth another attempt: throttling and server-side trouble. 501 (Not Implemented) and
 * 505 mean the request will never work, so they are final.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from
 * `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  // HTTP-dates (all three RFC 9110 §5.6.7 forms) start with a day name; Date.parse takes far more.
  if (v.length > 64 || !/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): clients that failed together
 * spread out, yet each still waits a meaningful minimum. A server's Retry-After wins when present,
 * capped so that a hostile value cannot stall us for hours.
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
