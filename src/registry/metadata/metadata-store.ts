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
  /** Records a manifest (creating the repository) and points `tags` at it, in one transaction. */
  putManifest(repository: string, manifest: ManifestRecord, tags?: readonly string[]): Promise<void>;
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
  close(): Promise<void>;
}
