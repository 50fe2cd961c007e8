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

/** What a stored blob is expected to be, checked before it is opened. */
export type StoredBlobExpectation = {
  /** What the blob is in messages (`layer`, `config`, `manifest`; default `blob`). */
  readonly what?: string | undefined;
  /** The size its descriptor gives. */
  readonly size?: number | undefined;
};

/**
 * Checks that a blob is stored with the size its descriptor says, before anything opens it: a
 * blob deleted, truncated or replaced under the data directory then fails at once, and nothing
 * waits on a file that is not the blob (a FIFO put there blocks whoever opens it).
 * @throws OciError BLOB_UNKNOWN when it is not stored, LAYER_INVALID when its size differs.
 */
async function checkStored(
  blobs: BlobStore,
  digest: Digest,
  expected: StoredBlobExpectation,
): Promise<number> {
  const what = expected.what ?? 'blob';
  const info = await blobs.stat(digest);
  if (info === undefined) {
    throw new OciError(
      'BLOB_UNKNOWN',
      `${what} ${digest} is missing from the registry's blob store (deleted from the data directory?)`,
    );
  }
  if (expected.size !== undefined && info.size !== expected.size) {
    throw new OciError(
      'LAYER_INVALID',
      `${what} ${digest} is stored with ${info.size} bytes but its descriptor says ${expected.size}: the blob store is damaged`,
    );
  }
  return info.size;
}

/**
 * Reads a stored blob whole, refusing one larger than `maxBytes` (or not of the expected size)
 * before reading it.
 * @throws OciError BLOB_UNKNOWN when it is not stored, LIMIT_EXCEEDED beyond `maxBytes`,
 *   LAYER_INVALID when it is not of the expected size.
 */
export async function readStoredBlob(
  blobs: BlobStore,
  digest: Digest,
  maxBytes: number,
  expected: StoredBlobExpectation = {},
): Promise<Buffer> {
  const size = await checkStored(blobs, digest, expected);
  if (size > maxBytes) {
    throw new OciError(
      'LIMIT_EXCEEDED',
      `${expected.what ?? 'blob'} ${digest} is ${size} bytes, over the ${maxBytes}-byte limit for it`,
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
    const root = await readStoredBlob(blobs, this.#digest, limits.maxManifestBytes, { what: 'manifest' });
    const fetcher: ContentFetcher = {
      fetchManifest: (desc) =>
        readStoredBlob(blobs, desc.digest, limits.maxManifestBytes, { what: 'manifest', size: desc.size }),
      fetchBlob: (desc, maxBytes) => readStoredBlob(blobs, desc.digest, maxBytes, { size: desc.size }),
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
    await checkStored(this.#blobs, desc.digest, { what: 'layer', size: desc.size });
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
