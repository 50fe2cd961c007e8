import { PORTCULLIS_KEYS } from '../osv.js';

/** The normalized statuses native feeds map to (see `PORTCULLIS_KEYS.status`). */
export type FeedStatus = 'affected' | 'fixed' | 'not_affected' | 'will_not_fix' | 'under_investigation';

/**
 * The `database_specific` object of an `affected` entry converted from a native feed: the
 * normalized status, the feed's own word for it (when it has one) and its severity rating.
 */
export function feedFacts(
  status: FeedStatus,
  rawStatus?: string,
  severity?: string,
  extra: Readonly<Record<string, unknown>> = {},
): Readonly<Record<string, unknown>> {
  const facts: Record<string, unknown> = { [PORTCULLIS_KEYS.status]: status };
  if (rawStatus !== undefined) facts[PORTCULLIS_KEYS.rawStatus] = rawStatus;
  if (severity !== undefined) facts[PORTCULLIS_KEYS.severity] = severity;
  return { ...facts, ...extra };
}
