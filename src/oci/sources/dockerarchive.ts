import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import {
  digestOf,
  isPortcullisError,
  truncateForMessage,
  type Digest,
  type Limits,
} from '../../core/index.js';
import { formatImageRef, tryParseImageRef, withDefaultTag } from '../../imageref/index.js';
import { sniffCompression } from '../archive/compression.js';
import { OciError } from '../errors.js';
import type { ImageSource, LayeredImage, OpenImageOptions } from '../image.js';
import { MediaType, isImageManifestMediaType, isIndexMediaType } from '../mediatypes.js';
import {
  parseImageConfig,
  parseManifest,
  resolveImage,
  verifyContent,
  type ContentFetcher,
} from '../resolve.js';
import type { Descriptor, ImageManifest } from '../schema.js';
import { ArchiveFile } from './archive.js';
import {
  blobPath,
  digestFromBlobPath,
  layoutFetcher,
  openVerified,
  parseJson,
  readLayoutIndex,
} from './layout.js';
import { resolveSourceOptions, type ResolvedSourceOptions, type SourceOptions } from './options.js';
import type { FileStore, StoreFile } from './store.js';

// `docker save` output. The legacy layout (Docker < 25) has a manifest.json whose items name
// a config file and `<id>/layer.tar` files (uncompressed tars, sometimes symlinks to each
// other); Docker 25+ writes an OCI layout (index.json, blobs/sha256/*) and a manifest.json
// whose paths point into blobs/. Either way manifest.json is what lists the images.

/** Docker's media type for an uncompressed layer (absent from the OCI list in mediatypes.ts). */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/** Which image of a multi-image docker-archive to open. */
export type DockerArchiveSelector =
  | { readonly kind: 'reference'; readonly reference: string }
  /** Position in manifest.json, from 0 (skopeo's `@N`). */
  | { readonly kind: 'index'; readonly index: number };

const manifestJsonSchema = z.array(
  z
    .object({
      Config: z.string(),
      RepoTags: z
        .array(z.string())
        .nullish()
        .transform((v) => v ?? []),
      Layers: z
        .array(z.string())
        .nullish()
        .transform((v) => v ?? []),
    })
    .loose(),
);
type ManifestItem = z.infer<typeof manifestJsonSchema>[number];

// Docker 25 index.json may list a multi-platform index whose other platforms were not saved;
// bound the search for the saved image's manifest.
const MAX_MANIFESTS_EXAMINED = 64;

function canonicalRepoTag(s: string): string {
  const ref = tryParseImageRef(s);
  return ref === undefined ? s : formatImageRef(withDefaultTag(ref));
}

/**
 * Picks the manifest.json item a selector names; without one, the only item.
 * @throws OciError MANIFEST_UNKNOWN for an unknown reference or index, TARGET_INVALID when
 *   several images are present and none was named.
 */
export function selectDockerArchiveItem<T extends { readonly RepoTags: readonly string[] }>(
  items: readonly T[],
  selector: DockerArchiveSelector | undefined,
  location: string,
): { item: T; index: number } {
  const listing = (): string =>
    items
      .map(
        (it, i) =>
          `@${i}${it.RepoTags.length > 0 ? ` (${it.RepoTags.map((t) => truncateForMessage(t, 80)).join(', ')})` : ''}`,
      )
      .join(', ');
  if (selector === undefined) {
    const only = items[0];
    if (items.length === 1 && only !== undefined) return { item: only, index: 0 };
    throw new OciError(
      'TARGET_INVALID',
      `${location} holds ${items.length} images; name one with docker-archive:FILE:REPO:TAG or docker-archive:FILE@N (available: ${listing()})`,
    );
  }
  if (selector.kind === 'index') {
    const item = items[selector.index];
    if (item === undefined)
      throw new OciError(
        'MANIFEST_UNKNOWN',
        `${location} has no image @${selector.index} (available: ${listing()})`,
      );
    return { item, index: selector.index };
  }
  const want = canonicalRepoTag(selector.reference);
  const index = items.findIndex((it) => it.RepoTags.some((t) => canonicalRepoTag(t) === want));
  const item = items[index];
  if (item === undefined) {
    throw new OciError(
      'MANIFEST_UNKNOWN',
      `${location} has no image tagged ${truncateForMessage(selector.reference, 120)} (available: ${listing()})`,
    );
  }
  return { item, index };
}

async function readManifestJson(store: FileStore, limits: Limits): Promise<ManifestItem[]> {
  const file = await store.find('manifest.json');
  if (file === undefined) {
    const ociHint =
      (await store.find('oci-layout')) !== undefined
        ? `; it has an oci-layout file, so it is an OCI layout archive: use oci-archive:${store.location}`
        : '';
    throw new OciError(
      store.invalidCode,
      `${store.location} is not a docker-archive (docker save output): it has no manifest.json${ociHint}`,
    );
  }
  const items = parseJson(
    await file.read(limits.maxManifestBytes),
    manifestJsonSchema,
    store,
    'manifest.json',
  );
  if (items.length === 0)
    throw new OciError(store.invalidCode, `${store.location}: manifest.json lists no images`);
  return items;
}

async function requireFile(store: FileStore, name: string, what: string): Promise<StoreFile> {
  const file = await store.find(name);
  if (file === undefined) {
    throw new OciError(
      'BLOB_UNKNOWN',
      `${store.location}: ${what} "${truncateForMessage(name)}" listed in manifest.json is missing from the archive`,
    );
  }
  return file;
}

async function hashFile(file: StoreFile): Promise<Digest> {
  const hash = createHash('sha256');
  await pipeline(file.open(), hash);
  return `sha256:${hash.digest('hex')}` as Digest;
}

/**
 * Docker 25 archives also carry the image's real OCI manifest; when index.json leads to one
 * for this config and all its layers are present, it is used, so the image keeps its manifest
 * digest. Returns undefined when there is none (older Docker, `"manifests": null`).
 */
async function findSavedManifest(
  store: FileStore,
  configDigest: Digest,
  limits: Limits,
): Promise<{ bytes: Buffer; desc: Descriptor } | undefined> {
  if ((await store.find('oci-layout')) === undefined || (await store.find('index.json')) === undefined)
    return undefined;
  let pending: Descriptor[];
  try {
    pending = await readLayoutIndex(store, limits);
  } catch {
    // manifest.json is authoritative in a docker-archive; a broken index.json only costs the digest.
    return undefined;
  }
  const fetcher = layoutFetcher(store, limits);
  for (let examined = 0; pending.length > 0 && examined < MAX_MANIFESTS_EXAMINED; examined++) {
    const desc = pending.shift() as Descriptor;
    if (!isIndexMediaType(desc.mediaType) && !isImageManifestMediaType(desc.mediaType)) continue;
    if ((await store.find(blobPath(desc.digest))) === undefined) continue;
    try {
      const bytes = await fetcher.fetchManifest(desc);
      verifyContent(bytes, desc, 'manifest');
      const parsed = parseManifest(bytes, desc.mediaType, desc.digest, limits.maxManifestBytes);
      if (parsed.kind === 'index') {
        pending.push(...parsed.index.manifests);
      } else if (
        parsed.manifest.config.digest === configDigest &&
        (await allLayersPresent(store, parsed.manifest))
      ) {
        return { bytes, desc };
      }
    } catch (err) {
      if (!isPortcullisError(err)) throw err;
    }
  }
  return undefined;
}

async function allLayersPresent(store: FileStore, manifest: ImageManifest): Promise<boolean> {
  for (const layer of manifest.layers) {
    if ((await store.find(blobPath(layer.digest))) === undefined) return false;
  }
  return true;
}

function layerMediaType(head: Buffer, store: FileStore, name: string): string {
  const compression = sniffCompression(head);
  switch (compression) {
    case 'none':
      return DOCKER_LAYER_TAR;
    case 'gzip':
      return MediaType.dockerLayerGzip;
    case 'zstd':
      return MediaType.ociLayerZstd;
    case 'bzip2':
    case 'xz':
      throw new OciError(
        'LAYER_INVALID',
        `${store.location}: layer ${name} is ${compression}-compressed, which is not supported`,
      );
  }
}

/** `docker-archive:FILE[:REPO:TAG|@N]`: `docker save` output, legacy or Docker 25+, optionally gzip-compressed. */
export class DockerArchiveSource implements ImageSource {
  readonly kind = 'docker-archive' as const;
  readonly file: string;
  readonly selector: DockerArchiveSelector | undefined;
  private readonly options: ResolvedSourceOptions;
  private readonly archive: ArchiveFile;

  constructor(file: string, selector: DockerArchiveSelector | undefined, options?: SourceOptions) {
    this.file = file;
    this.selector = selector;
    this.options = resolveSourceOptions(options);
    this.archive = new ArchiveFile(file, this.options);
  }

  private describe(digest: Digest | undefined): string {
    const sel =
      this.selector === undefined
        ? ''
        : this.selector.kind === 'index'
          ? `@${this.selector.index}`
          : `:${this.selector.reference}`;
    return `${this.kind}:${this.file}${sel}${digest !== undefined ? `@${digest}` : ''}`;
  }

  /**
   * Resolves the image. Without a real manifest in the archive one is synthesized from
   * manifest.json (the image's `digest` is then undefined); layer digests come from their
   * blobs/ path, else equal the diffID for uncompressed layers, else are computed once here.
   *
   * @throws OciError SOURCE_INVALID (missing file), ARCHIVE_INVALID (not a tar, truncated,
   *   manifest.json missing or malformed, layer count disagreeing with the config, hostile
   *   paths), MANIFEST_UNKNOWN / TARGET_INVALID (selection), BLOB_UNKNOWN (a listed file is
   *   missing), CONFIG_INVALID, LAYER_INVALID (unsupported layer compression).
   */
  async open(options?: OpenImageOptions): Promise<LayeredImage> {
    const { limits } = this.options;
    const store = await this.archive.store();
    const items = await readManifestJson(store, limits);
    const { item, index } = selectDockerArchiveItem(items, this.selector, store.location);
    const what = `image @${index} of ${store.location}`;

    const configFile = await requireFile(store, item.Config, 'config');
    const configBytes = await configFile.read(limits.maxConfigBytes);
    const configDigest = digestOf(configBytes);
    const named = digestFromBlobPath(item.Config);
    if (named !== undefined && named !== configDigest) {
      throw new OciError(
        'ARCHIVE_INVALID',
        `${store.location}: config ${item.Config} does not match its name: content hashes to ${configDigest}`,
      );
    }
    const config = parseImageConfig(configBytes, configDigest);
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== item.Layers.length) {
      throw new OciError(
        'ARCHIVE_INVALID',
        `${what}: manifest.json lists ${item.Layers.length} layers but its config ${configDigest} lists ${diffIDs.length} diff_ids`,
      );
    }
    const platform = options?.platform ?? this.options.platform;
    const common = {
      source: this.kind,
      platform,
      limits,
      describe: (d: Digest | undefined) => this.describe(d),
    } as const;

    const saved = await findSavedManifest(store, configDigest, limits);
    if (saved !== undefined) {
      this.options.logger.debug('docker-archive carries its OCI manifest', { manifest: saved.desc.digest });
      return resolveImage({
        ...common,
        root: { bytes: saved.bytes, mediaType: saved.desc.mediaType, digest: saved.desc.digest },
        fetcher: layoutFetcher(store, limits),
      });
    }

    const files = new Map<Digest, StoreFile>();
    const layers: Descriptor[] = [];
    for (const [i, name] of item.Layers.entries()) {
      const file = await requireFile(store, name, 'layer');
      const mediaType = layerMediaType(await file.head(8), store, name);
      const diffID = diffIDs[i];
      const digest =
        digestFromBlobPath(name) ??
        (mediaType === DOCKER_LAYER_TAR && diffID !== undefined ? diffID : await hashFile(file));
      files.set(digest, file);
      layers.push({ mediaType, digest, size: file.size });
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const fetcher: ContentFetcher = {
      fetchManifest: (desc) =>
        Promise.reject(new OciError('MANIFEST_UNKNOWN', `${what} has no manifest ${desc.digest}`)),
      fetchBlob: (desc) =>
        desc.digest === configDigest
          ? Promise.resolve(configBytes)
          : Promise.reject(new OciError('BLOB_UNKNOWN', `${what} has no blob ${desc.digest}`)),
      openBlob: (desc) => {
        const file = files.get(desc.digest);
        if (file === undefined)
          return Promise.reject(new OciError('BLOB_UNKNOWN', `${what} has no layer ${desc.digest}`));
        return Promise.resolve(openVerified(file, desc));
      },
    };
    return resolveImage({
      ...common,
      root: { bytes, mediaType: MediaType.dockerManifest, digest: digestOf(bytes) },
      fetcher,
      manifestDigestKnown: false,
    });
  }

  /** Removes the decompressed copy, if one was made; layers cannot be read afterwards. */
  close(): Promise<void> {
    return this.archive.close();
  }
}
