import { pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import {
  VerifyingStream,
  digestAlgorithm,
  digestHex,
  errorMessage,
  truncateForMessage,
  tryParseDigest,
  type Digest,
  type Limits,
} from '../../core/index.js';
import { OciError } from '../errors.js';
import type { ImageSource, LayeredImage, OpenImageOptions, SourceKind } from '../image.js';
import { isIndexMediaType } from '../mediatypes.js';
import { formatPlatform, hostPlatform, selectPlatformManifest, type PlatformSpec } from '../platform.js';
import { resolveImage, verifyContent, type ContentFetcher } from '../resolve.js';
import { descriptorSchema, type Descriptor } from '../schema.js';
import { resolveSourceOptions, type ResolvedSourceOptions, type SourceOptions } from './options.js';
import { DirStore, type FileStore, type StoreFile } from './store.js';

// OCI image layout (image-layout.md): an `oci-layout` marker, an `index.json` whose entries
// name images (tag in the org.opencontainers.image.ref.name annotation), and blobs stored by
// digest under blobs/<algorithm>/<hex>. Shared by the directory, archive and Docker 25 sources.

/** The annotation that carries an image's tag in an OCI layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

const layoutMarkerSchema = z.object({ imageLayoutVersion: z.string() });
// Docker 25 writes `"manifests": null` for images it exports without an OCI manifest.
const layoutIndexSchema = z.object({
  schemaVersion: z.literal(2),
  manifests: z
    .array(descriptorSchema)
    .nullish()
    .transform((v) => v ?? []),
});

/**
 * Where a blob lives in a layout. Digests are validated before they get here, so the path
 * cannot climb out; the check is repeated because this is what stands between a digest from
 * an untrusted document and a file path.
 *
 * @throws OciError BLOB_UNKNOWN for a string that is not a valid digest.
 */
export function blobPath(digest: Digest): string {
  if (tryParseDigest(digest) === undefined) {
    throw new OciError(
      'BLOB_UNKNOWN',
      `refusing to look up blob "${truncateForMessage(digest)}": not a valid digest`,
    );
  }
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

/** The digest a `blobs/<alg>/<hex>` path names, or undefined for any other path. */
export function digestFromBlobPath(name: string): Digest | undefined {
  const m = /^(?:\.\/)?blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
  return m ? tryParseDigest(`${m[1] ?? ''}:${m[2] ?? ''}`) : undefined;
}

async function findBlob(store: FileStore, desc: Descriptor, what: string): Promise<StoreFile> {
  const name = blobPath(desc.digest);
  const file = await store.find(name);
  if (file === undefined) {
    const foreign =
      desc.urls !== undefined && desc.urls.length > 0
        ? ' (a non-distributable layer whose content lives at its URLs)'
        : '';
    throw new OciError(
      'BLOB_UNKNOWN',
      `${store.location}: ${what} ${desc.digest} is missing: no file ${name}${foreign}`,
    );
  }
  return file;
}

/**
 * Pipes a store file through a VerifyingStream for `desc`, so that the consumer sees
 * DIGEST_MISMATCH or SIZE_MISMATCH instead of a clean end when the bytes are not the blob.
 */
export function openVerified(file: StoreFile, desc: Descriptor, what = 'layer'): Readable {
  const verifier = new VerifyingStream(desc.digest, desc.size, what);
  // The callback form destroys the verifier with the error from either side, which is what the consumer reads.
  pipeline(file.open(), verifier, () => undefined);
  return verifier;
}

/** A ContentFetcher reading blobs by digest from a layout's blobs/ tree. */
export function layoutFetcher(store: FileStore, limits: Limits): ContentFetcher {
  return {
    fetchManifest: async (desc) => (await findBlob(store, desc, 'manifest')).read(limits.maxManifestBytes),
    fetchBlob: async (desc, maxBytes) => (await findBlob(store, desc, 'blob')).read(maxBytes),
    openBlob: async (desc) => openVerified(await findBlob(store, desc, 'layer'), desc),
  };
}

/**
 * Reads index.json after checking the oci-layout marker.
 * @throws OciError (the store's SOURCE_INVALID or ARCHIVE_INVALID) when either is missing or malformed.
 */
export async function readLayoutIndex(store: FileStore, limits: Limits): Promise<Descriptor[]> {
  const marker = await store.find('oci-layout');
  if (marker === undefined) {
    const dockerHint =
      (await store.find('manifest.json')) !== undefined
        ? `; it has a manifest.json, so it looks like \`docker save\` output: use docker-archive:${store.location}`
        : '';
    throw new OciError(
      store.invalidCode,
      `${store.location} is not an OCI image layout: it has no oci-layout file${dockerHint}`,
    );
  }
  const version = parseJson(
    await marker.read(64 * 1024),
    layoutMarkerSchema,
    store,
    'oci-layout',
  ).imageLayoutVersion;
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw new OciError(
      store.invalidCode,
      `${store.location}: unsupported OCI layout version "${truncateForMessage(version, 40)}" (expected 1.x.y)`,
    );
  }
  const indexFile = await store.find('index.json');
  if (indexFile === undefined) {
    throw new OciError(
      store.invalidCode,
      `${store.location} is not a complete OCI image layout: index.json is missing`,
    );
  }
  return parseJson(await indexFile.read(limits.maxManifestBytes), layoutIndexSchema, store, 'index.json')
    .manifests;
}

/** Parses a small JSON document of a store against a schema. @throws OciError naming the file and the problem. */
export function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, store: FileStore, name: string): T {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OciError(
      store.invalidCode,
      `${store.location}: ${name} is not valid JSON: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const detail = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new OciError(store.invalidCode, `${store.location}: ${name} is malformed: ${detail}`);
  }
  return r.data;
}

function refName(d: Descriptor): string | undefined {
  return d.annotations?.[REF_NAME_ANNOTATION];
}

function describeEntries(entries: readonly Descriptor[]): string {
  const tags = entries.map(refName).filter((t): t is string => t !== undefined);
  const untagged = entries.length - tags.length;
  const parts = [
    tags.length > 0 ? `tags: ${tags.map((t) => truncateForMessage(t, 80)).join(', ')}` : 'no tags',
  ];
  if (untagged > 0) parts.push(`${untagged} untagged`);
  return parts.join('; ');
}

/**
 * Picks the index.json entry for `tag`; without a tag, the only entry (or, when every entry
 * names its platform, the one for `platform`). Several entries with the same tag are told
 * apart by platform too.
 *
 * @throws OciError MANIFEST_UNKNOWN for an unknown tag or an empty layout, TARGET_INVALID when
 *   no tag was given and the layout holds several images (the message lists the tags).
 */
export function selectLayoutEntry(
  entries: readonly Descriptor[],
  tag: string | undefined,
  platform: PlatformSpec | undefined,
  location: string,
): Descriptor {
  const want = platform ?? hostPlatform();
  if (tag !== undefined) {
    const matches = entries.filter((d) => refName(d) === tag);
    if (matches.length === 0) {
      throw new OciError(
        'MANIFEST_UNKNOWN',
        `${location} has no image tagged "${truncateForMessage(tag, 80)}" (available ${describeEntries(entries)})`,
      );
    }
    if (matches.length === 1 || matches.some((d) => d.platform === undefined))
      return matches[0] as Descriptor;
    return selectPlatformManifest({ schemaVersion: 2, manifests: matches }, want);
  }
  if (entries.length === 0)
    throw new OciError('MANIFEST_UNKNOWN', `${location} holds no images (its index.json lists no manifests)`);
  if (entries.length === 1) return entries[0] as Descriptor;
  if (entries.every((d) => d.platform !== undefined))
    return selectPlatformManifest({ schemaVersion: 2, manifests: [...entries] }, want);
  throw new OciError(
    'TARGET_INVALID',
    `${location} holds ${entries.length} images; name one with a tag after the path (available ${describeEntries(entries)})`,
  );
}

/** Options for resolveLayout. */
export type ResolveLayoutOptions = {
  readonly source: SourceKind;
  readonly tag: string | undefined;
  readonly platform: PlatformSpec | undefined;
  readonly limits: Limits;
  /** Formats the image's reference given the manifest digest. */
  readonly describe: (manifestDigest: Digest | undefined) => string;
};

/**
 * Resolves an image from an OCI layout held by `store`: index.json entry by tag, then manifest
 * or index (platform selection), config and layers.
 *
 * @throws OciError as `readLayoutIndex`, `selectLayoutEntry` and `resolveImage` do, and
 *   BLOB_UNKNOWN naming the digest and path of a missing blob.
 */
export async function resolveLayout(store: FileStore, opts: ResolveLayoutOptions): Promise<LayeredImage> {
  const entries = await readLayoutIndex(store, opts.limits);
  const entry = selectLayoutEntry(entries, opts.tag, opts.platform, store.location);
  const fetcher = layoutFetcher(store, opts.limits);
  const bytes = await fetcher.fetchManifest(entry);
  verifyContent(bytes, entry, isIndexMediaType(entry.mediaType) ? 'index' : 'manifest');
  return resolveImage({
    source: opts.source,
    root: { bytes, mediaType: entry.mediaType, digest: entry.digest },
    fetcher,
    platform: opts.platform,
    limits: opts.limits,
    describe: opts.describe,
  });
}

/** `kind:location[:tag][@digest]`, the reference a local image reports. */
export function describeLocal(
  kind: SourceKind,
  location: string,
  tag: string | undefined,
  digest: Digest | undefined,
): string {
  return `${kind}:${location}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
}

/** `oci:DIR[:TAG]`: an OCI image layout directory. */
export class OciLayoutSource implements ImageSource {
  readonly kind = 'oci' as const;
  readonly dir: string;
  readonly tag: string | undefined;
  private readonly options: ResolvedSourceOptions;

  constructor(dir: string, tag: string | undefined, options?: SourceOptions) {
    this.dir = dir;
    this.tag = tag;
    this.options = resolveSourceOptions(options);
  }

  /**
   * Resolves the image; layers are streamed from the layout when opened.
   * @throws OciError SOURCE_INVALID (not a layout), MANIFEST_UNKNOWN (unknown tag), TARGET_INVALID
   *   (several images, no tag), BLOB_UNKNOWN, PLATFORM_NOT_FOUND and the errors of `resolveImage`.
   */
  async open(options?: OpenImageOptions): Promise<LayeredImage> {
    const store = await DirStore.open(this.dir);
    const platform = options?.platform ?? this.options.platform;
    this.options.logger.debug('opening OCI layout', {
      dir: this.dir,
      tag: this.tag,
      platform: platform ? formatPlatform(platform) : undefined,
    });
    return resolveLayout(store, {
      source: this.kind,
      tag: this.tag,
      platform,
      limits: this.options.limits,
      describe: (d) => describeLocal(this.kind, this.dir, this.tag, d),
    });
  }

  /** Nothing is held between calls. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
