import type { Digest, Logger } from '../../core/index.js';
import type { RequireSignatureRule, SignatureFact } from '../../admission/index.js';
import { tryParseImageRef } from '../../imageref/index.js';
import type { BlobStore, MetadataStore, PushedManifest } from '../../registry/index.js';
import {
  createImageVerifier,
  TtlLruCache,
  type CachingImageVerifier,
  type ImageVerificationResult,
  type ImageVerifierOptions,
  type SigstoreTrustedRoot,
  type VerificationFailure,
} from '../../signing/index.js';
import { requirementForRule, toSignatureFact } from '../facts/signature.js';
import { LocalRegistryClient } from './local-client.js';

export type SignatureGateOptions = {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  /** For keyless identities; without it they are reported as not checkable. */
  readonly trustedRoot?: SigstoreTrustedRoot | undefined;
  readonly logger?: Logger | undefined;
  /**
   * Bounds of the outcome cache, as the verifier's own: entries, how long a verified outcome
   * is reused (5 minutes), how long an unverified or failed one is (30 s).
   */
  readonly cache?: ImageVerifierOptions['cache'];
  /** The clock in milliseconds (tests). */
  readonly now?: (() => number) | undefined;
};

/** Checks manifests against requireSignature rules, reading signatures from the registry's own stores. */
export interface SignatureGate {
  /**
   * The signature fact of `digest` in `repository` for the rule: satisfied only when a
   * signature VERIFIES with the rule's keys or identities (and names this repository).
   * Registry read failures become `{ error }`.
   */
  check(repository: string, digest: Digest, rule: RequireSignatureRule): Promise<SignatureFact>;
  /** Forgets the outcomes of a manifest that just got a signature, attestation or referrer. */
  onManifestPushed(event: PushedManifest): void;
}

// The verifier is asked with a made-up host: the local client ignores it, and the payload's
// host is not compared (the registry cannot know every name clients reach it by).
const INTERNAL_HOST = 'portcullis.internal';
const SIG_TAG_RE = /^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})\.(sig|att|sbom)$/;
/** Distinct manifests with a bumped version remembered; past it, everything is forgotten at once. */
const MAX_VERSIONS = 10_000;

/**
 * A verified signature counts only when its payload names this repository (any host): the
 * verifier is asked to ignore the reference, since the host in it is the one the signer used.
 */
function sameRepositoryOnly(result: ImageVerificationResult, repository: string): ImageVerificationResult {
  const failures: VerificationFailure[] = [];
  const verified = result.verified.filter((v) => {
    if (v.kind !== 'simple-signing') return true;
    const named = tryParseImageRef(v.payload.dockerReference);
    if (named?.repository === repository) return true;
    failures.push({
      candidate: v.source,
      signer: v.signer,
      code: 'reference-mismatch',
      message: `the signature names repository ${v.payload.dockerReference.slice(0, 200)}, not ${repository}`,
    });
    return false;
  });
  if (failures.length === 0) return result;
  return {
    ...result,
    satisfied: result.satisfied && verified.length > 0,
    verified,
    failures: [...result.failures, ...failures],
  };
}

/**
 * The signature gate: requirementForRule and toSignatureFact (as admission uses them), the
 * signing library's verifier over a LocalRegistryClient (cosign `.sig`/`.att` tags and OCI 1.1
 * referrers, straight from the stores), outcomes cached per (repository, digest, rule) with a
 * bound and a TTL, and dropped when a signature, attestation or referrer of the digest is pushed.
 */
export function createSignatureGate(opts: SignatureGateOptions): SignatureGate {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.cache?.ttlMs ?? 5 * 60_000;
  const negativeTtlMs = Math.min(ttlMs, opts.cache?.negativeTtlMs ?? 30_000);
  const cache = new TtlLruCache<string, SignatureFact>({
    maxEntries: opts.cache?.maxEntries ?? 1000,
    ttlMs,
    now,
  });
  const client = new LocalRegistryClient(opts.blobs, opts.metadata);
  // This gate caches (and invalidates) itself; the verifier only shares concurrent identical calls.
  const verifier: CachingImageVerifier = createImageVerifier({
    client,
    cache: { maxEntries: 1, ttlMs: 1, negativeTtlMs: 1 },
    now,
  });
  // Bumped for a digest when something that may sign it arrives; part of the cache key, so
  // older outcomes are never found again (and age out of the LRU).
  const versions = new Map<string, number>();
  const versionOf = (repository: string, digest: string): number =>
    versions.get(`${repository}@${digest}`) ?? 0;

  const verify = async (
    repository: string,
    digest: Digest,
    rule: RequireSignatureRule,
  ): Promise<SignatureFact> => {
    const { requirement, unusable } = requirementForRule(rule, opts.trustedRoot);
    if (requirement === undefined) {
      return { error: `none of the rule's signers can be checked: ${unusable.join('; ')}` };
    }
    try {
      const result = await verifier.verify(
        { registry: INTERNAL_HOST, repository, digest },
        { ...requirement, ignoreReference: true },
      );
      return toSignatureFact(sameRepositoryOnly(result, repository), unusable);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      opts.logger?.warn(
        `verifying the signatures of ${repository}@${digest} for rule ${rule.name} failed: ${message}`,
      );
      return { error: `the signatures could not be read: ${message}` };
    }
  };

  return {
    async check(repository, digest, rule) {
      const key = `${repository}@${digest}#${versionOf(repository, digest)}#${rule.name}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const fact = await verify(repository, digest, rule);
      cache.set(key, fact, 'satisfied' in fact && fact.satisfied ? ttlMs : negativeTtlMs);
      return fact;
    },
    onManifestPushed(event) {
      const subjects = new Set<string>();
      if (event.record.subject !== undefined) subjects.add(event.record.subject);
      for (const tag of event.tags) {
        const m = SIG_TAG_RE.exec(tag);
        if (m) subjects.add(`${m[1] ?? ''}:${m[2] ?? ''}`);
      }
      if (subjects.size === 0) return;
      if (versions.size >= MAX_VERSIONS) {
        versions.clear();
        cache.clear();
      }
      for (const digest of subjects) {
        const id = `${event.repository}@${digest}`;
        versions.set(id, (versions.get(id) ?? 0) + 1);
      }
    },
  };
}
