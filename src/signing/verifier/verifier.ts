import { parseDigest, type Digest } from '../../core/index.js';
import { formatImageRef, type ImageRef, type RepositoryRef } from '../../imageref/index.js';
import type { RegistryClient } from '../../oci/index.js';
import { fetchAttestations } from '../attest/index.js';
import { fetchSignatures, resolveImageDigest } from '../cosign/index.js';
import { TtlLruCache } from './cache.js';
import { VerifierError } from './errors.js';
import { evaluateSignatures, type SignatureEvaluation } from './evaluate.js';
import { normalizeRequirement, type VerificationRequirement } from './requirement.js';

export type ImageVerifierOptions = {
  /** The registry client, or one per reference (credentials per registry, say). */
  readonly client: RegistryClient | ((ref: ImageRef) => RegistryClient);
  readonly cache?:
    | {
        /** Results kept at most (default 1000). */
        readonly maxEntries?: number | undefined;
        /** How long a satisfied result is reused (default 5 minutes). */
        readonly ttlMs?: number | undefined;
        /**
         * How long an unsatisfied result is reused (default 30 s, never more than ttlMs): short,
         * so that an image signed a moment later is admitted soon.
         */
        readonly negativeTtlMs?: number | undefined;
      }
    | undefined;
  /** The clock in milliseconds (default Date.now); tests move it to expire entries. */
  readonly now?: (() => number) | undefined;
  /** Look for OCI 1.1 referrers (Sigstore bundles) too (default true). */
  readonly referrers?: boolean | undefined;
};

/** Where a result came from: checked now, reused from the cache, or shared with a concurrent identical call. */
export type CacheOutcome = 'miss' | 'hit' | 'coalesced';

/** The outcome of verify: the evaluation plus where the image and the answer came from. */
export type ImageVerificationResult = SignatureEvaluation & {
  /** The reference as given, normalized (`registry/repository:tag` or `@digest`). */
  readonly reference: string;
  readonly cache: CacheOutcome;
  /** The requirement fingerprint (cache key part), to correlate results in logs. */
  readonly requirementFingerprint: string;
  /** When the evaluation was made (the verifier's clock), which may be earlier than this call on a hit. */
  readonly checkedAt: number;
  readonly timing: {
    /** Tag → digest resolution (0 for a digest-pinned reference). */
    readonly resolveMs: number;
    /** Fetching signatures and checking them; 0 on a cache hit. */
    readonly fetchAndVerifyMs: number;
    readonly totalMs: number;
  };
};

export type ImageVerifierStats = {
  readonly hits: number;
  readonly misses: number;
  readonly coalesced: number;
  readonly entries: number;
};

/** Verifies images against requirements, caching outcomes by (repository, digest, requirement). */
export interface CachingImageVerifier {
  /**
   * Resolves `reference` to its digest (a tag is always asked again, so a moved tag never hits
   * an entry of the old digest), then returns the cached outcome for (repository, digest,
   * requirement), or fetches and checks the signatures. Concurrent identical calls share one fetch.
   * @throws VerifierError for an unusable requirement; OciError for registry failures (not cached);
   *   CosignError for a malformed `.sig` manifest.
   */
  verify(reference: ImageRef, requirement: VerificationRequirement): Promise<ImageVerificationResult>;
  /** Counters since creation, and the entries now held. */
  stats(): ImageVerifierStats;
  /** Drops every cached outcome, including those of fetches still running (a signature was revoked, say). */
  clear(): void;
}

type Cached = {
  readonly evaluation: SignatureEvaluation;
  readonly checkedAt: number;
  readonly fetchMs: number;
};

function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new VerifierError(
      'VERIFIER_OPTIONS_INVALID',
      `${name} must be a positive whole number, got ${String(v)}`,
    );
  }
  return v;
}

function cacheKey(repo: RepositoryRef, digest: Digest, fingerprint: string): string {
  // Registry hosts are case-insensitive; repositories are lower-case by grammar.
  return `${repo.registry.toLowerCase()}/${repo.repository}@${digest}#${fingerprint}`;
}

/**
 * An image verifier for the registry and admission: fetching at the edge (this module), the
 * signature checks pure (evaluateSignatures), outcomes in a TTL + LRU cache.
 * @throws VerifierError VERIFIER_OPTIONS_INVALID for cache bounds that are not positive integers.
 */
export function createImageVerifier(opts: ImageVerifierOptions): CachingImageVerifier {
  const now = opts.now ?? Date.now;
  const ttlMs = positive('cache.ttlMs', opts.cache?.ttlMs ?? 5 * 60_000);
  const negativeTtlMs = Math.min(ttlMs, positive('cache.negativeTtlMs', opts.cache?.negativeTtlMs ?? 30_000));
  const cache = new TtlLruCache<string, Cached>({
    maxEntries: positive('cache.maxEntries', opts.cache?.maxEntries ?? 1000),
    ttlMs,
    now,
  });
  const inflight = new Map<string, Promise<Cached>>();
  const resolving = new Map<string, Promise<Digest>>();
  const clientFor = (ref: ImageRef): RegistryClient =>
    typeof opts.client === 'function' ? opts.client(ref) : opts.client;
  let hits = 0;
  let misses = 0;
  let coalesced = 0;
  // Bumped by clear(): a fetch that started before it must not refill the cache afterwards.
  let generation = 0;

  // Concurrent resolutions of the same tag share one HEAD request; nothing is kept afterwards.
  const resolve = (ref: ImageRef): Promise<Digest> => {
    if (ref.digest !== undefined) return Promise.resolve(parseDigest(ref.digest));
    const key = formatImageRef(ref);
    let p = resolving.get(key);
    if (p === undefined) {
      p = resolveImageDigest(clientFor(ref), ref).finally(() => resolving.delete(key));
      resolving.set(key, p);
    }
    return p;
  };

  const fetchAndEvaluate = async (
    ref: ImageRef,
    digest: Digest,
    req: ReturnType<typeof normalizeRequirement>,
  ): Promise<Cached> => {
    const start = performance.now();
    const client = clientFor(ref);
    // Signatures and (when required) attestations are fetched side by side.
    const [fetched, attestations] = await Promise.all([
      fetchSignatures(client, ref, digest, { referrers: opts.referrers }),
      req.attestationTypes.length > 0 ? fetchAttestations(client, ref, digest) : Promise.resolve(undefined),
    ]);
    const evaluation = evaluateSignatures(fetched, ref, req, attestations);
    return { evaluation, checkedAt: now(), fetchMs: performance.now() - start };
  };

  return {
    async verify(reference, requirement) {
      const start = performance.now();
      const startedIn = generation;
      const req = normalizeRequirement(requirement);
      const resolveStart = performance.now();
      const digest = await resolve(reference);
      const resolveMs = performance.now() - resolveStart;
      const key = cacheKey(reference, digest, req.fingerprint);
      const finish = (c: Cached, outcome: CacheOutcome): ImageVerificationResult => ({
        ...c.evaluation,
        reference: formatImageRef(reference),
        cache: outcome,
        requirementFingerprint: req.fingerprint,
        checkedAt: c.checkedAt,
        timing: {
          resolveMs,
          fetchAndVerifyMs: outcome === 'hit' ? 0 : c.fetchMs,
          totalMs: performance.now() - start,
        },
      });
      const cached = cache.get(key);
      if (cached !== undefined) {
        hits++;
        return finish(cached, 'hit');
      }
      const pending = inflight.get(key);
      if (pending !== undefined) {
        coalesced++;
        return finish(await pending, 'coalesced');
      }
      misses++;
      const p = fetchAndEvaluate(reference, digest, req);
      inflight.set(key, p);
      try {
        const c = await p;
        // Registry failures throw and are never cached; unsatisfied outcomes live shorter.
        if (startedIn === generation) cache.set(key, c, c.evaluation.satisfied ? ttlMs : negativeTtlMs);
        return finish(c, 'miss');
      } finally {
        inflight.delete(key);
      }
    },
    stats: () => ({ hits, misses, coalesced, entries: cache.size }),
    clear: () => {
      generation++;
      cache.clear();
    },
  };
}
