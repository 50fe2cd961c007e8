import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { resolveLimits, VerifyingStream, type Digest, type Limits } from '../../core/index.js';
import {
  OciError,
  resolveImage,
  type ContentFetcher,
  type Descriptor,
  type Image,
  type ImageSource,
  type OpenImageOptions,
  type PlatformSpec,
} from '../../oci/index.js';
import type { BlobStore } from '../../registry/index.js';

export type LocalRegistryImageSourceOptions = {
  /** Platform to select when the digest is an index (default: the host's). */
  readonly platform?: PlatformSpec | undefined;
  readonly limits?: Partial<Limits> | undefined;
};

/**
 * Reads a stored blob whole, refusing one larger than `maxBytes` before reading it.
 * @throws OciError BLOB_UNKNOWN when it is not stored, LIMIT_EXCEEDED beyond `maxBytes`.
 */
export async function readStoredBlob(blobs: BlobStore, digest: Digest, maxBytes: number): Promise<Buffer> {
  const info = await blobs.stat(digest);
  if (info === undefined) throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in the registry's store`);
  if (info.size > maxBytes) {
    throw new OciError(
      'LIMIT_EXCEEDED',
      `blob ${digest} is ${info.size} bytes, over the ${maxBytes}-byte limit for it`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.open(digest)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An image in our own registry, read from its blob store: the manifest, the config and the
 * layers by digest, never through HTTP, so the pull gates (which may wait for this very scan)
 * are not in the way. It is a `docker` source to the rest of the pipeline: a registry image.
 * Blobs were verified when they were written; layers are verified again as they are read, as
 * every source does, so a store corrupted on disk fails the scan instead of feeding it.
 */
export class LocalRegistryImageSource implements ImageSource {
  readonly kind = 'docker' as const;
  readonly #blobs: BlobStore;
  readonly #repository: string;
  readonly #digest: Digest;
  readonly #options: LocalRegistryImageSourceOptions;

  /** `repository` names the image in references and messages; blobs are read by digest. */
  constructor(
    blobs: BlobStore,
    repository: string,
    digest: Digest,
    options: LocalRegistryImageSourceOptions = {},
  ) {
    this.#blobs = blobs;
    this.#repository = repository;
    this.#digest = digest;
    this.#options = options;
  }

  /**
   * Resolves the image from the stored manifest (selecting a platform from an index).
   * @throws OciError BLOB_UNKNOWN for content missing from the store, MANIFEST_UNSUPPORTED,
   *   MANIFEST_INVALID, CONFIG_INVALID, PLATFORM_NOT_FOUND, LIMIT_EXCEEDED.
   */
  async open(options: OpenImageOptions = {}): Promise<Image> {
    const limits = resolveLimits(this.#options.limits);
    const blobs = this.#blobs;
    const root = await readStoredBlob(blobs, this.#digest, limits.maxManifestBytes);
    const fetcher: ContentFetcher = {
      fetchManifest: (desc) => readStoredBlob(blobs, desc.digest, limits.maxManifestBytes),
      fetchBlob: (desc, maxBytes) => readStoredBlob(blobs, desc.digest, maxBytes),
      openBlob: (desc) => this.#openLayer(desc),
    };
    return resolveImage({
      source: 'docker',
      // The stored bytes say their own media type; the registry checked it on PUT.
      root: { bytes: root, mediaType: undefined, digest: this.#digest },
      fetcher,
      platform: options.platform ?? this.#options.platform,
      limits,
      describe: (digest) => `${this.#repository}@${digest ?? this.#digest}`,
    });
  }

  async #openLayer(desc: Descriptor): Promise<Readable> {
    const stored = await this.#blobs.open(desc.digest);
    const verifier = new VerifyingStream(desc.digest, desc.size, 'layer');
    // The callback form destroys the verifier with either side's error, which the reader sees.
    pipeline(stored, verifier, () => undefined);
    return verifier;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
