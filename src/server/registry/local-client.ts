import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { digestOf, parseDigest, tryParseDigest, VerifyingStream, type Digest } from '../../core/index.js';
import type { ImageRef, RepositoryRef } from '../../imageref/index.js';
import {
  OciError,
  RegistryClient,
  type FetchedManifest,
  type GetManifestOptions,
  type ImageIndex,
  type ManifestHead,
} from '../../oci/index.js';
import {
  referrersIndex,
  type BlobStore,
  type ManifestRecord,
  type MetadataStore,
} from '../../registry/index.js';
import { readStoredBlob } from './local-image.js';

type BlobDescriptor = { readonly digest: Digest | string; readonly size?: number | undefined };

const TAG_PAGE = 1000;

function blobDigest(desc: BlobDescriptor): Digest {
  const d = tryParseDigest(String(desc.digest));
  if (d === undefined) {
    throw new OciError('TARGET_INVALID', `unsupported blob digest "${String(desc.digest).slice(0, 80)}"`);
  }
  return d;
}

/**
 * A read-only RegistryClient over the registry's own stores: what the signing library's
 * verifier (and any other reader written against RegistryClient) uses inside the registry, so
 * that the server's own checks read manifests, `.sig`/`.att` tags, referrers and blobs directly
 * and never through the gated HTTP routes. The image reference's registry host is not looked
 * at: every reference names this registry. Content is checked against its digest as it is read,
 * as the HTTP client does, so a store corrupted on disk fails a check instead of feeding it.
 * Writes are refused (DENIED).
 */
export class LocalRegistryClient extends RegistryClient {
  readonly #blobs: BlobStore;
  readonly #metadata: MetadataStore;

  constructor(blobs: BlobStore, metadata: MetadataStore) {
    super();
    this.#blobs = blobs;
    this.#metadata = metadata;
  }

  async #record(ref: ImageRef): Promise<ManifestRecord | undefined> {
    const digest =
      ref.digest !== undefined
        ? parseDigest(ref.digest)
        : await this.#metadata.resolveTag(ref.repository, ref.tag ?? 'latest');
    return digest === undefined ? undefined : await this.#metadata.getManifest(ref.repository, digest);
  }

  async #read(digest: Digest, maxBytes: number, what: string): Promise<Buffer> {
    const bytes = await readStoredBlob(this.#blobs, digest, maxBytes);
    if (digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== digest) {
      throw new OciError('REGISTRY_ERROR', `the stored ${what} ${digest} does not match its digest`);
    }
    return bytes;
  }

  /** @throws OciError MANIFEST_UNKNOWN (also when its media type is not accepted), LIMIT_EXCEEDED. */
  override async getManifest(ref: ImageRef, opts: GetManifestOptions = {}): Promise<FetchedManifest> {
    const record = await this.#record(ref);
    // The HTTP routes answer an unaccepted media type as unknown; so does this.
    if (record === undefined || (opts.accept !== undefined && !opts.accept.includes(record.mediaType))) {
      throw new OciError(
        'MANIFEST_UNKNOWN',
        `manifest ${ref.digest ?? ref.tag ?? 'latest'} is not in ${ref.repository}`,
      );
    }
    const bytes = await this.#read(record.digest, this.limits.maxManifestBytes, 'manifest');
    return { bytes, mediaType: record.mediaType, digest: record.digest };
  }

  override async headManifest(
    ref: ImageRef,
    opts: GetManifestOptions = {},
  ): Promise<ManifestHead | undefined> {
    const record = await this.#record(ref);
    if (record === undefined || (opts.accept !== undefined && !opts.accept.includes(record.mediaType))) {
      return undefined;
    }
    return { digest: record.digest, mediaType: record.mediaType, size: record.size };
  }

  async #linked(repo: RepositoryRef, digest: Digest): Promise<void> {
    if (!(await this.#metadata.hasBlobLink(repo.repository, digest))) {
      throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in ${repo.repository}`);
    }
  }

  override async openBlob(repo: RepositoryRef, desc: BlobDescriptor): Promise<Readable> {
    const digest = blobDigest(desc);
    await this.#linked(repo, digest);
    const info = await this.#blobs.stat(digest);
    if (info === undefined)
      throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in the registry's store`);
    const verifier = new VerifyingStream(digest, desc.size ?? info.size, 'blob');
    // The callback form destroys the verifier with either side's error, which the reader sees.
    pipeline(await this.#blobs.open(digest), verifier, () => undefined);
    return verifier;
  }

  override async fetchBlob(repo: RepositoryRef, desc: BlobDescriptor, maxBytes: number): Promise<Buffer> {
    const digest = blobDigest(desc);
    await this.#linked(repo, digest);
    return this.#read(digest, maxBytes, 'blob');
  }

  override async blobExists(repo: RepositoryRef, digest: Digest): Promise<boolean> {
    return (
      (await this.#metadata.hasBlobLink(repo.repository, digest)) &&
      (await this.#blobs.stat(digest)) !== undefined
    );
  }

  override async listTags(repo: RepositoryRef): Promise<string[]> {
    const all: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.#metadata.listTags(repo.repository, { n: TAG_PAGE, last });
      all.push(...page);
      if (page.length < TAG_PAGE) return all;
      last = page[page.length - 1];
    }
  }

  override async getReferrers(
    repo: RepositoryRef,
    digest: Digest,
    opts: { readonly artifactType?: string | undefined } = {},
  ): Promise<ImageIndex> {
    // The same index the HTTP route answers with.
    return referrersIndex(await this.#metadata.listReferrers(repo.repository, digest, opts.artifactType));
  }

  override pushBlob(): Promise<never> {
    return Promise.reject(new OciError('DENIED', "the registry's internal client is read-only"));
  }

  override putManifest(): Promise<never> {
    return Promise.reject(new OciError('DENIED', "the registry's internal client is read-only"));
  }
}
