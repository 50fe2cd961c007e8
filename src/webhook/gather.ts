import type { AdmissionFacts, FactPlan, FactSource, ImageFacts, ImageNeeds } from '../admission/index.js';
import type { FactErrorReason } from './metrics.js';

/** The facts for a plan, and why some are missing when the source as a whole failed. */
export type GatherOutcome = {
  readonly facts: AdmissionFacts;
  /** Set when no facts came back at all; every needed fact is then an `{ error }` saying this. */
  readonly failure?: { readonly reason: Exclude<FactErrorReason, 'lookup'>; readonly message: string };
  /** How many facts in `facts` are `{ error }` (lookups that failed). */
  readonly lookupErrors: number;
};

// The source's signal aborts this long before the deadline so that a well-behaved source can
// still return what it has (its unfinished lookups as `{ error }` facts) before the hard cutoff.
const SETTLE_MS_MAX = 50;

/**
 * Gathers the facts of `plan` from `source` in at most `deadlineMs`: the signal aborts shortly
 * before the deadline, and a timer of our own answers at the deadline whatever the source does,
 * so a source that ignores its signal cannot hold the admission request. A source that rejects
 * or overruns gives `{ error }` facts for everything the plan needed, so `decide` applies each
 * rule's `onError` instead of judging on nothing.
 */
export async function gatherWithDeadline(
  source: FactSource | undefined,
  plan: FactPlan,
  deadlineMs: number,
): Promise<GatherOutcome> {
  if (source === undefined) {
    const message = 'no registry lookups are configured for this webhook';
    return { facts: errorFacts(plan, message), failure: { reason: 'no_source', message }, lookupErrors: 0 };
  }
  const settleMs = Math.min(SETTLE_MS_MAX, Math.floor(deadlineMs / 10));
  const signal = AbortSignal.timeout(Math.max(1, deadlineMs - settleMs));
  let timer: NodeJS.Timeout | undefined;
  const cutoff = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => {
      resolve('deadline');
    }, deadlineMs);
  });
  try {
    const result = await Promise.race([source.gather(plan, signal), cutoff]);
    if (result === 'deadline') {
      const message = `not gathered within the ${deadlineMs} ms deadline`;
      return { facts: errorFacts(plan, message), failure: { reason: 'deadline', message }, lookupErrors: 0 };
    }
    return { facts: result, lookupErrors: countErrors(result) };
  } catch {
    // The contract says gather never rejects; if it does, its message may carry registry detail
    // we do not want in a user-facing denial, so the answer names only what failed.
    const message = 'the fact source failed (see the webhook log)';
    return {
      facts: errorFacts(plan, message),
      failure: { reason: 'source_failed', message },
      lookupErrors: 0,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** `{ error }` for every fact the plan asked for (digests have no error form: they stay absent). */
function errorFacts(plan: FactPlan, error: string): AdmissionFacts {
  return { images: Object.fromEntries(plan.images.map((n) => [n.image, imageErrors(n, error)])) };
}

function imageErrors(needs: ImageNeeds, error: string): ImageFacts {
  return {
    ...(needs.config ? { config: { error } } : {}),
    ...(needs.scan ? { scan: { error } } : {}),
    ...(needs.signatures.length > 0
      ? { signatures: Object.fromEntries(needs.signatures.map((r) => [r.name, { error }])) }
      : {}),
  };
}

function countErrors(facts: AdmissionFacts): number {
  let n = 0;
  for (const image of Object.values(facts.images ?? {})) {
    if (image.config !== undefined && 'error' in image.config) n++;
    if (image.scan !== undefined && 'error' in image.scan) n++;
    if (image.signature !== undefined && 'error' in image.signature) n++;
    for (const sig of Object.values(image.signatures ?? {})) if ('error' in sig) n++;
  }
  return n;
}

/** The first `{ error }` among an image's facts, to explain why it has no digest. */
export function firstError(image: ImageFacts | undefined): string | undefined {
  if (image === undefined) return undefined;
  if (image.digestError !== undefined) return image.digestError;
  for (const fact of [image.config, image.scan, image.signature, ...Object.values(image.signatures ?? {})]) {
    if (fact !== undefined && 'error' in fact) return fact.error;
  }
  return undefined;
}
