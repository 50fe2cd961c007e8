import { errorMessage, type Digest, type Logger } from '../../core/index.js';
import type { RequireSignatureRule, SignatureFact } from '../../admission/index.js';
import { tryParseImageRef } from '../../imageref/index.js';
import { MediaType, parseManifest } from '../../oci/index.js';
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
   * signature VERIFIES with the rule's keys or identities (and names this repository), on the
   * manifest itself or on a tagged index of the repository that lists it.
   * Registry read failures become `{ error }`.
   */
  check(repository: string, digest: Digest, rule: RequireSignatureRule): Promise<SignatureFact>;
  /** Forgets the outcomes in a repository that just got a signature, attestation or referrer. */
  onManifestPushed(event: PushedManifest): void;
}

// The verifier is asked with a made-up host: the local client ignores it, and the payload's
// host is not compared (the registry cannot know every name clients reach it by).
const INTERNAL_HOST = 'portcullis.internal';
const SIG_TAG_RE = /^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})\.(sig|att|sbom)$/;
/** Repositories with a bumped version remembered; past it, everything is forgotten at once. */
const MAX_VERSIONS = 10_000;
/** Tags read when looking for the indexes that list a manifest. */
const MAX_PARENT_TAGS = 1000;
const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList]);

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
 * bound and a TTL, and dropped when a signature, attestation or referrer arrives in the repository.
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
  // Bumped for a repository when a signature, attestation or referrer arrives in it; part of
  // the cache key, so older outcomes are never found again (and age out of the LRU). Per
  // repository, not per digest: a signed index vouches for its platform manifests too.
  const versions = new Map<string, number>();

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
      const message = errorMessage(err);
      opts.logger?.warn(
        `verifying the signatures of ${repository}@${digest} for rule ${rule.name} failed: ${message}`,
      );
      return { error: `the signatures could not be read: ${message}` };
    }
  };

  /** Tagged indexes of the repository that list `digest` (the first MAX_PARENT_TAGS tags are read). */
  const parentsOf = async (repository: string, digest: Digest): Promise<Digest[]> => {
    const parents = new Set<Digest>();
    const tags = await opts.metadata.listTags(repository, { n: MAX_PARENT_TAGS });
    for (const tag of tags) {
      const d = await opts.metadata.resolveTag(repository, tag);
      if (d === undefined || parents.has(d)) continue;
      const record = await opts.metadata.getManifest(repository, d);
      if (record === undefined || !INDEX_TYPES.has(record.mediaType)) continue;
      const { bytes } = await client.getManifest({ registry: INTERNAL_HOST, repository, digest: d });
      const parsed = parseManifest(bytes, record.mediaType, `index ${d}`);
      if (parsed.kind === 'index' && parsed.index.manifests.some((m) => m.digest === digest)) parents.add(d);
    }
    return [...parents];
  };

  /**
   * The manifest's own signatures, else those of an index listing it: clients pull the platform
   * manifests of a signed index one by one, and the index's digest commits to each of them.
   */
  const verifyOrParent = async (
    repository: string,
    digest: Digest,
    rule: RequireSignatureRule,
  ): Promise<SignatureFact> => {
    const own = await verify(repository, digest, rule);
    if (!('satisfied' in own) || own.satisfied) return own;
    let parents: Digest[];
    try {
      parents = await parentsOf(repository, digest);
    } catch (err) {
      opts.logger?.warn(
        `looking for the indexes listing ${repository}@${digest} failed: ${errorMessage(err)}`,
      );
      return own;
    }
    for (const parent of parents) {
      const fact = await verify(repository, parent, rule);
      if ('satisfied' in fact && fact.satisfied) {
        return { satisfied: true, reasons: fact.reasons.map((r) => `${r} through index ${parent}`) };
      }
    }
    return own;
  };

  return {
    async check(repository, digest, rule) {
      const key = `${repository}#${versions.get(repository) ?? 0}@${digest}#${rule.name}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const fact = await verifyOrParent(repository, digest, rule);
      cache.set(key, fact, 'satisfied' in fact && fact.satisfied ? ttlMs : negativeTtlMs);
      return fact;
    },
    onManifestPushed(event) {
      const signs = event.record.subject !== undefined || event.tags.some((t) => SIG_TAG_RE.test(t));
      if (!signs) return;
      if (versions.size >= MAX_VERSIONS) {
        versions.clear();
        cache.clear();
      }
      versions.set(event.repository, (versions.get(event.repository) ?? 0) + 1);
    },
  };
}
