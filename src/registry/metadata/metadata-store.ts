import type { Digest } from '../../core/index.js';

/** What the registry remembers of a manifest pushed to a repository. */
export type ManifestRecord = {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  /** The `subject` it refers to (a signature, SBOM, attestation...), when it has one. */
  readonly subject?: Digest | undefined;
  /** `artifactType`, or for an image manifest without one, its config's media type (referrers API). */
  readonly artifactType?: string | undefined;
  readonly configMediaType?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
};

/** A page request: at most `n` entries after `last` in lexical order. */
export type Page = { readonly n?: number | undefined; readonly last?: string | undefined };

/** A recorded manifest, once per digest: what garbage collection reads its references with. */
export type StoredManifest = { readonly digest: Digest; readonly mediaType: string };

/**
 * Every recorded manifest, read at one instant, and the manifest generation at that instant (a
 * counter every manifest write moves forward), so that a later `releaseBlob` can tell whether
 * manifests arrived since.
 */
export type ManifestInventory = {
  readonly generation: number;
  readonly manifests: readonly StoredManifest[];
};

/** A digest linked in at least one repository: in how many, and when it was last linked anywhere. */
export type LinkedDigest = { readonly digest: Digest; readonly links: number; readonly lastLinkedAt: Date };

/**
 * What `releaseBlob` did: `released` removed the digest's links (`links` of them, possibly 0);
 * `kept` left them, because the digest was linked at or after the cutoff or is itself a recorded
 * manifest; `stale` left them, because manifests were recorded since the caller's inventory.
 */
export type ReleaseOutcome =
  | { readonly kind: 'released'; readonly links: number }
  | { readonly kind: 'kept' }
  | { readonly kind: 'stale'; readonly generation: number };

/**
 * Repositories, manifests, tags, the referrers index and per-repository blob links. A blob is
 * visible in a repository only once linked there (pushed, mounted or referenced by a manifest
 * pushed there), which is what later authorization and cross-repository mounts rely on.
 * SQLite implements it; PostgreSQL can be added behind the same contract.
 */
export interface MetadataStore {
  /** Creates the repository when it does not exist. */
  ensureRepository(name: string): Promise<void>;
  hasRepository(name: string): Promise<boolean>;
  /** Repository names in lexical order. */
  listRepositories(page?: Page): Promise<string[]>;
  /** Makes a stored blob visible in `repository` (creating the repository). */
  linkBlob(repository: string, digest: Digest): Promise<void>;
  hasBlobLink(repository: string, digest: Digest): Promise<boolean>;
  /** False when the blob was not linked there. */
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;
  /**
   * Records a manifest (creating the repository) and points `tags` at it, in one transaction.
   * `requiredBlobs` (its config and layers, and the digest of its own bytes once linked) must be
   * linked in `repository` at that moment: checked in the same transaction, so that garbage
   * collection releasing one of them (`releaseBlob`) and this write cannot both succeed.
   * @throws RegistryError MANIFEST_BLOB_UNKNOWN when a required blob is not linked there.
   */
  putManifest(
    repository: string,
    manifest: ManifestRecord,
    tags?: readonly string[],
    requiredBlobs?: readonly Digest[],
  ): Promise<void>;
  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  resolveTag(repository: string, tag: string): Promise<Digest | undefined>;
  /** Removes the manifest and every tag that points at it; false when it was not there. */
  deleteManifest(repository: string, digest: Digest): Promise<boolean>;
  /** False when the tag did not exist. */
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Tags in lexical order. */
  listTags(repository: string, page?: Page): Promise<string[]>;
  /** Manifests of `repository` whose subject is `subject`, optionally of one artifact type. */
  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]>;
  /** Every recorded manifest (each digest once) and the manifest generation, read together. */
  listManifests(): Promise<ManifestInventory>;
  /** Every linked digest, once, with its latest link time. */
  listLinkedDigests(): Promise<LinkedDigest[]>;
  /**
   * Garbage collection's unlink: in one transaction, removes `digest`'s link from every
   * repository, unless manifests were recorded since `generation` (stale: mark them first), the
   * digest is a recorded manifest, or it was linked at or after `linkedBefore` (kept).
   */
  releaseBlob(
    digest: Digest,
    guard: { readonly generation: number; readonly linkedBefore: Date },
  ): Promise<ReleaseOutcome>;
  close(): Promise<void>;
}
