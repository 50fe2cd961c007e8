import type { Readable } from 'node:stream';
import { silentLogger, type Digest, type Limits, type Logger } from '../../core/index.js';
import { formatImageRef, withDefaultTag, type ImageRef } from '../../imageref/index.js';
import type { BlobCache } from '../cache.js';
import type { Image, ImageSource, OpenImageOptions } from '../image.js';
import type { PlatformSpec } from '../platform.js';
import type { RegistryClient } from '../registry/client.js';
import { resolveImage, type ContentFetcher } from '../resolve.js';
import type { Descriptor } from '../schema.js';

export type RegistryImageSourceOptions = {
  readonly client: RegistryClient;
  /** Layers are downloaded here once and read from here afterwards; streamed directly without it. */
  readonly cache?: BlobCache | undefined;
  /** Platform to select from an index unless `open()` is given one; defaults to the host's. */
  readonly platform?: PlatformSpec | undefined;
  readonly limits?: Partial<Limits> | undefined;
  readonly logger?: Logger | undefined;
};

/**
 * `docker://REF`: an image in a registry. Manifests and the config are fetched when opened;
 * a layer is downloaded (verified) into the blob cache the first time it is opened and read
 * from the cache from then on, so repeated runs do not download it again.
 */
export class RegistryImageSource implements ImageSource {
  readonly kind = 'docker' as const;
  readonly ref: ImageRef;
  private readonly opts: RegistryImageSourceOptions;
  private readonly logger: Logger;
  private readonly downloads = new Map<string, Promise<void>>();

  constructor(ref: ImageRef, opts: RegistryImageSourceOptions) {
    this.ref = withDefaultTag(ref);
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Resolves the image: root manifest, platform selection, manifest and config (all verified).
   * `reference` is the given reference with the resolved manifest digest.
   * @throws OciError MANIFEST_UNKNOWN, PLATFORM_NOT_FOUND, MANIFEST_UNSUPPORTED, MANIFEST_INVALID,
   *   CONFIG_INVALID, UNAUTHORIZED, DENIED, INSECURE_REFUSED, TIMEOUT, REGISTRY_UNREACHABLE.
   */
  async open(options: OpenImageOptions = {}): Promise<Image> {
    const { client } = this.opts;
    const root = await client.getManifest(this.ref);
    const repo = { registry: this.ref.registry, repository: this.ref.repository };
    const fetcher: ContentFetcher = {
      fetchManifest: async (desc) => (await client.getManifest({ ...repo, digest: desc.digest })).bytes,
      fetchBlob: (desc, maxBytes) => client.fetchBlob(repo, desc, maxBytes),
      openBlob: (desc) => this.openLayer(desc),
    };
    const platform = options.platform ?? this.opts.platform;
    return resolveImage({
      source: 'docker',
      root: { bytes: root.bytes, mediaType: root.mediaType, digest: root.digest },
      fetcher,
      platform,
      limits: this.opts.limits ?? client.limits,
      describe: (digest: Digest | undefined) =>
        formatImageRef(digest === undefined ? this.ref : { ...this.ref, digest }),
    });
  }

  private async openLayer(desc: Descriptor): Promise<Readable> {
    const repo = { registry: this.ref.registry, repository: this.ref.repository };
    const cache = this.opts.cache;
    if (cache === undefined) return this.opts.client.openBlob(repo, desc);
    const cached = await cache.open(desc.digest, desc.size);
    if (cached !== undefined) return cached;
    // One download per digest even when the same layer is opened concurrently.
    let pending = this.downloads.get(desc.digest);
    if (pending === undefined) {
      pending = this.download(desc).finally(() => this.downloads.delete(desc.digest));
      this.downloads.set(desc.digest, pending);
    }
    await pending;
    const stored = await cache.open(desc.digest, desc.size);
    if (stored === undefined) {
      // Pruned between download and open: stream it directly rather than fail.
      return this.opts.client.openBlob(repo, desc);
    }
    return stored;
  }

  private async download(desc: Descriptor): Promise<void> {
    const cache = this.opts.cache;
    if (cache === undefined) return;
    const repo = { registry: this.ref.registry, repository: this.ref.repository };
    this.logger.debug('downloading layer into the blob cache', { digest: desc.digest, size: desc.size });
    const stream = await this.opts.client.openBlob(repo, desc);
    await cache.put(desc, stream);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.downloads.values()]);
  }
}
