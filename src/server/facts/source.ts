import { errorMessage, truncateForMessage, type Logger } from '../../core/index.js';
import type {
  AdmissionFacts,
  FactPlan,
  FactSource,
  ImageFacts,
  ImageNeeds,
  RequireSignatureRule,
  SignatureFact,
} from '../../admission/index.js';
import { formatImageRef, withDefaultTag, type ImageRef } from '../../imageref/index.js';
import type { BlobCache, PlatformSpec, RegistryClient } from '../../oci/index.js';
import {
  createImageVerifier,
  resolveImageDigest,
  type ImageVerifierOptions,
  type ImageVerifierStats,
  type SigstoreTrustedRoot,
} from '../../signing/index.js';
import type { AdvisorySource } from '../../vulndb/index.js';
import { FactSourceError } from './errors.js';
import { LookupCache, type LookupCacheBounds, type LookupCacheStats } from './lookup-cache.js';
import {
  openRegistryImage,
  scanRegistryImage,
  type RegistryImageScan,
  type ScanRegistryImageOptions,
} from './scan-image.js';
import { requirementForRule, toSignatureFact, type RuleRequirement } from './signature.js';

export type RegistryFactSourceOptions = {
  /** The registry client, or one per reference (credentials per registry, say). */
  readonly client: RegistryClient | ((ref: ImageRef) => RegistryClient);
  /** The vulnerability database scans match against; without it scan facts are errors. */
  readonly vulnDb?: AdvisorySource | undefined;
  /** The Sigstore trusted root, for keyless identities; without it they are error facts. */
  readonly trustedRoot?: SigstoreTrustedRoot | undefined;
  /** The platform whose image an index resolves to, for the config user and scans (default: the host's). */
  readonly platform?: PlatformSpec | undefined;
  /** Where scans keep downloaded layers; streamed without it. */
  readonly blobCache?: BlobCache | undefined;
  /** Inventory layer cache for scans. */
  readonly inventory?: ScanRegistryImageOptions['inventory'];
  readonly cache?:
    | {
        /** Tag → digest (default 30 s, 1000 entries): short, so a moved tag is seen soon. */
        readonly digest?: LookupCacheBounds | undefined;
        /** Image config user by digest (default 10 minutes, 1000 entries). */
        readonly config?: LookupCacheBounds | undefined;
        /** Scan findings by digest (default 10 minutes, 500 entries): the database changes. */
        readonly scan?: LookupCacheBounds | undefined;
        /** Signature outcomes by digest and rule (the verifier's defaults: 5 minutes, 30 s when unsatisfied). */
        readonly signature?: ImageVerifierOptions['cache'];
      }
    | undefined;
  /**
   * Scans run at most this many at a time (default 2); others wait their turn, still coalesced
   * and still filling the cache when their callers have given up.
   */
  readonly maxConcurrentScans?: number | undefined;
  /** Look for OCI 1.1 referrers (Sigstore bundles) too (default true). */
  readonly referrers?: boolean | undefined;
  /** The clock in milliseconds for cache lifetimes (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
};

export type FactKind = 'digest' | 'config' | 'scan' | 'signature';

/** Counters for metrics. */
export type FactSourceStats = {
  readonly digest: LookupCacheStats;
  readonly config: LookupCacheStats;
  readonly scan: LookupCacheStats;
  readonly signature: ImageVerifierStats;
  /** Facts that ended as `{ error }`, by kind (failures and deadlines alike). */
  readonly lookupErrors: Readonly<Record<FactKind, number>>;
  /** Lookups the caller's signal cut off (they may still finish and fill the cache). */
  readonly deadlineExceeded: number;
};

/** A FactSource backed by registries, the signature verifier and the scanner. */
export interface RegistryFactSource extends FactSource {
  stats(): FactSourceStats;
  /** Stops background scans and waits for lookups still running; gather must not be called afterwards. */
  close(): Promise<void>;
}

type Settled<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'aborted' };

// Resolves with the lookup's outcome or as soon as the signal aborts; the lookup itself goes on
// (the registry client cannot be cancelled) and still fills its cache.
function settle<T>(p: Promise<T>, signal: AbortSignal): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      resolve({ kind: 'aborted' });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ kind: 'value', value });
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ kind: 'error', error });
      },
    );
  });
}

// Registry errors do not carry credentials, but a server's error body might echo a header back.
function redact(text: string): string {
  return text.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]');
}

function describeError(err: unknown): string {
  return redact(truncateForMessage(errorMessage(err), 300));
}

function repositoryKey(ref: ImageRef): string {
  return `${ref.registry.toLowerCase()}/${ref.repository}`;
}

/**
 * Gathers admission facts from registries: tag → digest (cached briefly, so that moved tags are
 * seen), then by digest the image config user, scan findings and each requireSignature rule's
 * verification, all cached with TTL and size bounds and coalesced when concurrent. Every lookup
 * is bounded by the caller's signal: `gather` then settles at once with `{ error }` facts that
 * say what could not be reached, while the lookups finish in the background and fill the caches.
 * @throws FactSourceError FACTS_OPTIONS_INVALID, VerifierError VERIFIER_OPTIONS_INVALID for cache
 *   bounds that are not positive whole numbers.
 */
export function createRegistryFactSource(options: RegistryFactSourceOptions): RegistryFactSource {
  const now = options.now ?? Date.now;
  const clientFor = (ref: ImageRef): RegistryClient =>
    typeof options.client === 'function' ? options.client(ref) : options.client;
  const digests = new LookupCache<string>(
    'cache.digest',
    options.cache?.digest ?? {},
    { maxEntries: 1000, ttlMs: 30_000 },
    now,
  );
  const configs = new LookupCache<string>(
    'cache.config',
    options.cache?.config ?? {},
    { maxEntries: 1000, ttlMs: 10 * 60_000 },
    now,
  );
  const scans = new LookupCache<RegistryImageScan>(
    'cache.scan',
    options.cache?.scan ?? {},
    { maxEntries: 500, ttlMs: 10 * 60_000 },
    now,
  );
  const verifier = createImageVerifier({
    client: clientFor,
    cache: options.cache?.signature,
    now,
    referrers: options.referrers,
  });
  // Rules are parsed once per policy load; their requirements are built once per rule object.
  const requirements = new WeakMap<RequireSignatureRule, RuleRequirement>();
  const closing = new AbortController();
  const maxScans = options.maxConcurrentScans ?? 2;
  if (!Number.isSafeInteger(maxScans) || maxScans <= 0) {
    throw new FactSourceError(
      'FACTS_OPTIONS_INVALID',
      `maxConcurrentScans must be a positive whole number, got ${String(maxScans)}`,
    );
  }
  // A scan reads every layer and matches in SQLite synchronously: a burst of cold images must
  // not run them all at once. A finishing scan hands its slot to the next one waiting.
  let activeScans = 0;
  const waitingScans: (() => void)[] = [];
  const withScanSlot = async <T>(run: () => Promise<T>): Promise<T> => {
    if (activeScans < maxScans) activeScans++;
    else
      await new Promise<void>((resolve) => {
        waitingScans.push(resolve);
      });
    try {
      closing.signal.throwIfAborted();
      return await run();
    } finally {
      const next = waitingScans.shift();
      if (next === undefined) activeScans--;
      else next();
    }
  };
  const lookupErrors: Record<FactKind, number> = { digest: 0, config: 0, scan: 0, signature: 0 };
  let deadlineExceeded = 0;

  const requirementOf = (rule: RequireSignatureRule): RuleRequirement => {
    let r = requirements.get(rule);
    if (r === undefined) {
      r = requirementForRule(rule, options.trustedRoot);
      requirements.set(rule, r);
    }
    return r;
  };

  // The text of a fact that could not be gathered; counted once per fact.
  const failed = (
    kind: FactKind,
    outcome: Settled<unknown>,
    what: string,
    ref: ImageRef,
    started: number,
  ): string => {
    lookupErrors[kind]++;
    if (outcome.kind === 'aborted') {
      deadlineExceeded++;
      return `registry ${ref.registry} did not answer within ${Math.round(performance.now() - started)} ms (${what})`;
    }
    return `${what}: ${outcome.kind === 'error' ? describeError(outcome.error) : 'no answer'}`;
  };

  const allFailed = (needs: ImageNeeds, error: string): ImageFacts => {
    const facts: {
      digestError: string;
      config?: { error: string };
      scan?: { error: string };
      signatures?: Record<string, SignatureFact>;
    } = { digestError: error };
    if (needs.config) {
      lookupErrors.config++;
      facts.config = { error };
    }
    if (needs.scan) {
      lookupErrors.scan++;
      facts.scan = { error };
    }
    if (needs.signatures.length > 0) {
      lookupErrors.signature += needs.signatures.length;
      facts.signatures = Object.fromEntries(needs.signatures.map((r) => [r.name, { error }]));
    }
    return facts;
  };

  const configOf = async (
    ref: ImageRef,
    signal: AbortSignal,
    started: number,
  ): Promise<NonNullable<ImageFacts['config']>> => {
    const outcome = await settle(
      configs.get(`${repositoryKey(ref)}@${ref.digest ?? ''}`, async () => {
        const image = await openRegistryImage(clientFor(ref), ref, options.platform);
        return image.kind === 'layered' ? (image.config.config?.User ?? '') : '';
      }),
      signal,
    );
    if (outcome.kind === 'value') return { user: outcome.value };
    return { error: failed('config', outcome, 'reading the image config', ref, started) };
  };

  const scanOf = async (
    ref: ImageRef,
    signal: AbortSignal,
    started: number,
  ): Promise<NonNullable<ImageFacts['scan']>> => {
    const db = options.vulnDb;
    if (db === undefined) {
      lookupErrors.scan++;
      return { error: 'no vulnerability database is configured for the admission server' };
    }
    const outcome = await settle(
      scans.get(`${repositoryKey(ref)}@${ref.digest ?? ''}`, () =>
        withScanSlot(() =>
          scanRegistryImage(clientFor(ref), ref, db, {
            platform: options.platform,
            blobCache: options.blobCache,
            inventory: options.inventory,
            logger: options.logger,
            signal: closing.signal,
          }),
        ),
      ),
      signal,
    );
    if (outcome.kind === 'value') return { findings: outcome.value.findings };
    if (outcome.kind === 'aborted') {
      lookupErrors.scan++;
      deadlineExceeded++;
      return {
        error: `the scan of ${formatImageRef(ref)} is still running after ${Math.round(performance.now() - started)} ms; it goes on in the background and a retry will use its result`,
      };
    }
    return { error: failed('scan', outcome, 'scanning the image', ref, started) };
  };

  const signatureOf = async (
    rule: RequireSignatureRule,
    ref: ImageRef,
    signal: AbortSignal,
    started: number,
  ): Promise<SignatureFact> => {
    const { requirement, unusable } = requirementOf(rule);
    if (requirement === undefined) {
      lookupErrors.signature++;
      return { error: `none of the rule's signers can be checked: ${unusable.join('; ')}` };
    }
    // An unusable requirement (a PEM that does not parse) rejects like a registry failure.
    const outcome = await settle(verifier.verify(ref, requirement), signal);
    if (outcome.kind === 'value') {
      const fact = toSignatureFact(outcome.value, unusable);
      if ('error' in fact) lookupErrors.signature++;
      return fact;
    }
    return { error: failed('signature', outcome, 'verifying the signatures', ref, started) };
  };

  const gatherImage = async (
    needs: ImageNeeds,
    signal: AbortSignal,
    started: number,
  ): Promise<ImageFacts> => {
    const ref = needs.ref;
    let digest = ref.digest;
    if (digest === undefined) {
      const tagged = withDefaultTag(ref);
      const outcome = await settle(
        digests.get(formatImageRef({ ...tagged, registry: tagged.registry.toLowerCase() }), () =>
          resolveImageDigest(clientFor(tagged), tagged),
        ),
        signal,
      );
      if (outcome.kind !== 'value') {
        const error = failed(
          'digest',
          outcome,
          `resolving the tag "${tagged.tag ?? ''}" to a digest`,
          ref,
          started,
        );
        return allFailed(needs, error);
      }
      digest = outcome.value;
    }
    // Every other lookup names the digest: a warm cache then needs no registry round trip.
    const pinned: ImageRef = { ...ref, digest };
    const [config, scan, signatures] = await Promise.all([
      needs.config ? configOf(pinned, signal, started) : undefined,
      needs.scan ? scanOf(pinned, signal, started) : undefined,
      Promise.all(
        needs.signatures.map(
          async (rule) => [rule.name, await signatureOf(rule, pinned, signal, started)] as const,
        ),
      ),
    ]);
    return {
      digest,
      ...(config === undefined ? {} : { config }),
      ...(scan === undefined ? {} : { scan }),
      ...(signatures.length === 0 ? {} : { signatures: Object.fromEntries(signatures) }),
    };
  };

  return {
    async gather(plan: FactPlan, signal: AbortSignal): Promise<AdmissionFacts> {
      const started = performance.now();
      const entries = await Promise.all(
        plan.images.map(async (needs) => [needs.image, await gatherImage(needs, signal, started)] as const),
      );
      return { images: Object.fromEntries(entries) };
    },
    stats: () => ({
      digest: digests.stats(),
      config: configs.stats(),
      scan: scans.stats(),
      signature: verifier.stats(),
      lookupErrors: { ...lookupErrors },
      deadlineExceeded,
    }),
    async close() {
      closing.abort(new Error('the fact source was closed'));
      await Promise.all([digests.settled(), configs.settled(), scans.settled()]);
    },
  };
}
