import type { Readable } from 'node:stream';
import {
  digestOf,
  errorMessage,
  resolveLimits,
  truncateForMessage,
  type Digest,
  type Limits,
} from '../core/index.js';
import { OciError } from './errors.js';
import type { Layer, LayeredImage, SourceKind } from './image.js';
import { MediaType, isIndexMediaType, isSchema1MediaType } from './mediatypes.js';
import {
  configMatchesPlatform,
  hostPlatform,
  platformNotFound,
  selectPlatformManifest,
  type PlatformSpec,
} from './platform.js';
import {
  imageConfigSchema,
  imageIndexSchema,
  imageManifestSchema,
  manifestProbeSchema,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './schema.js';

/** What a transport provides so that an image can be resolved from it, whatever it is. */
export type ContentFetcher = {
  /** Reads a manifest or index by descriptor; the bytes are verified here, not by the fetcher. */
  fetchManifest(desc: Descriptor): Promise<Buffer>;
  /** Reads a small blob (the config) fully; size is capped by the caller's limits. */
  fetchBlob(desc: Descriptor, maxBytes: number): Promise<Buffer>;
  /** Opens a layer blob as a stream that verifies its digest and size. */
  openBlob(desc: Descriptor): Promise<Readable>;
};

export type ParsedManifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly index: ImageIndex }
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly manifest: ImageManifest };

/**
 * Parses manifest bytes (an image manifest or an index, OCI or Docker). `declaredMediaType`
 * is what the transport said (Content-Type, descriptor); the document's own mediaType and shape
 * decide when the transport said nothing useful.
 *
 * @throws OciError MANIFEST_UNSUPPORTED for Docker schema 1 and unknown types, MANIFEST_INVALID
 *   for malformed JSON or shapes, MANIFEST_TOO_LARGE beyond `maxBytes`.
 */
export function parseManifest(
  bytes: Buffer,
  declaredMediaType: string | undefined,
  what: string,
  maxBytes?: number,
): ParsedManifest {
  const limit = maxBytes ?? resolveLimits().maxManifestBytes;
  if (bytes.length > limit) {
    throw new OciError(
      'MANIFEST_TOO_LARGE',
      `manifest ${what} is ${bytes.length} bytes, over the ${limit}-byte limit`,
    );
  }
  if (isSchema1MediaType(declaredMediaType)) throw schema1Error(what);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OciError('MANIFEST_INVALID', `manifest ${what} is not valid JSON: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const probe = manifestProbeSchema.safeParse(json);
  if (!probe.success) {
    throw new OciError(
      'MANIFEST_INVALID',
      `manifest ${what} is not an image manifest or index (no schemaVersion)`,
    );
  }
  if (probe.data.schemaVersion === 1 || isSchema1MediaType(probe.data.mediaType)) throw schema1Error(what);
  const declared =
    declaredMediaType === undefined ||
    declaredMediaType === '' ||
    declaredMediaType === 'application/json' ||
    declaredMediaType === 'application/octet-stream'
      ? undefined
      : declaredMediaType.split(';')[0]?.trim();
  const mediaType =
    probe.data.mediaType ?? declared ?? (probe.data.manifests ? MediaType.ociIndex : MediaType.ociManifest);
  const looksIndex =
    isIndexMediaType(mediaType) || (probe.data.manifests !== undefined && probe.data.config === undefined);
  if (looksIndex) {
    const r = imageIndexSchema.safeParse(json);
    if (!r.success) throw invalid(what, r.error.issues);
    return { kind: 'index', mediaType, index: r.data };
  }
  if (mediaType !== MediaType.ociManifest && mediaType !== MediaType.dockerManifest) {
    throw new OciError(
      'MANIFEST_UNSUPPORTED',
      `manifest ${what} has unsupported media type "${truncateForMessage(mediaType, 100)}"`,
    );
  }
  const r = imageManifestSchema.safeParse(json);
  if (!r.success) throw invalid(what, r.error.issues);
  return { kind: 'manifest', mediaType, manifest: r.data };
}

function schema1Error(what: string): OciError {
  return new OciError(
    'MANIFEST_UNSUPPORTED',
    `manifest ${what} is Docker image manifest schema 1, which is deprecated and not supported; re-push the image with a current client to convert it to schema 2 or OCI`,
  );
}

function invalid(what: string, issues: readonly { path: PropertyKey[]; message: string }[]): OciError {
  const detail = issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return new OciError('MANIFEST_INVALID', `manifest ${what} is malformed: ${detail}`);
}

/** Parses an image config blob. @throws OciError CONFIG_INVALID naming the digest. */
export function parseImageConfig(bytes: Buffer, digest: Digest): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OciError('CONFIG_INVALID', `image config ${digest} is not valid JSON: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const r = imageConfigSchema.safeParse(json);
  if (!r.success) {
    const detail = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new OciError('CONFIG_INVALID', `image config ${digest} is malformed: ${detail}`);
  }
  return r.data;
}

/** Checks in-memory content against its descriptor. @throws OciError naming the digest. */
export function verifyContent(bytes: Buffer, desc: Descriptor, what: string): void {
  if (bytes.length !== desc.size) {
    throw new OciError(
      'MANIFEST_INVALID',
      `${what} ${desc.digest} has the wrong size: expected ${desc.size} bytes, got ${bytes.length}`,
    );
  }
  const actual = digestOf(bytes, desc.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
  if (actual !== desc.digest) {
    throw new OciError(
      'MANIFEST_INVALID',
      `${what} ${desc.digest} failed verification: content hashes to ${actual}`,
    );
  }
}

/** Pairs each layer with the history entry that created it (history lists empty layers too). */
export function layerHistory(config: ImageConfig): (HistoryEntry | undefined)[] {
  const out: (HistoryEntry | undefined)[] = [];
  for (const h of config.history ?? []) {
    if (h.empty_layer !== true) out.push(h);
  }
  return out;
}

export type ResolveImageOptions = {
  readonly source: SourceKind;
  /** Root manifest/index bytes and what is known of them. */
  readonly root: { readonly bytes: Buffer; readonly mediaType: string | undefined; readonly digest: Digest };
  readonly fetcher: ContentFetcher;
  readonly platform?: PlatformSpec | undefined;
  readonly limits?: Partial<Limits> | undefined;
  /** Formats the resolved reference once the manifest digest is known. */
  readonly describe: (manifestDigest: Digest | undefined) => string;
  /** Overrides the manifest digest (a docker-archive without one passes undefined). */
  readonly manifestDigestKnown?: boolean;
};

/**
 * Resolves an image from its root manifest: selects the platform from an index, verifies and
 * parses the manifest and config, and pairs layers with diffIDs and history.
 *
 * @throws OciError for unsupported or malformed manifests, a missing platform, a config that
 *   does not match its digest, or a layer count that disagrees with the config's diff_ids.
 */
export async function resolveImage(opts: ResolveImageOptions): Promise<LayeredImage> {
  const limits = resolveLimits(opts.limits);
  const rootWhat = opts.root.digest;
  const root = parseManifest(opts.root.bytes, opts.root.mediaType, rootWhat, limits.maxManifestBytes);
  let manifest: ImageManifest;
  let mediaType: string;
  let digest: Digest = opts.root.digest;
  let indexDigest: Digest | undefined;
  let platformFromIndex: Descriptor['platform'];
  // Set when the index entry had no platform: the config must then say it is the right one.
  let unlabelledWant: PlatformSpec | undefined;
  if (root.kind === 'index') {
    const want = opts.platform ?? hostPlatform();
    const desc = selectPlatformManifest(root.index, want);
    if (desc.platform === undefined) unlabelledWant = want;
    const bytes = await opts.fetcher.fetchManifest(desc);
    verifyContent(bytes, desc, 'manifest');
    const child = parseManifest(bytes, desc.mediaType, desc.digest, limits.maxManifestBytes);
    if (child.kind !== 'manifest') {
      throw new OciError(
        'MANIFEST_UNSUPPORTED',
        `index ${rootWhat} points to another index ${desc.digest} for the platform; nested indexes are not supported`,
      );
    }
    manifest = child.manifest;
    mediaType = child.mediaType;
    indexDigest = opts.root.digest;
    digest = desc.digest;
    platformFromIndex = desc.platform;
  } else {
    manifest = root.manifest;
    mediaType = root.mediaType;
  }
  if (manifest.config.size > limits.maxConfigBytes) {
    throw new OciError(
      'LIMIT_EXCEEDED',
      `image config ${manifest.config.digest} is ${manifest.config.size} bytes, over the maxConfigBytes limit of ${limits.maxConfigBytes}`,
    );
  }
  const configBytes = await opts.fetcher.fetchBlob(manifest.config, limits.maxConfigBytes);
  verifyContent(configBytes, manifest.config, 'image config');
  const config = parseImageConfig(configBytes, manifest.config.digest);
  if (unlabelledWant !== undefined && !configMatchesPlatform(unlabelledWant, config)) {
    throw platformNotFound(unlabelledWant, [
      config.os !== undefined && config.architecture !== undefined
        ? { os: config.os, architecture: config.architecture }
        : undefined,
    ]);
  }
  const diffIDs = config.rootfs.diff_ids;
  if (diffIDs.length !== manifest.layers.length) {
    throw new OciError(
      'MANIFEST_INVALID',
      `manifest ${digest} lists ${manifest.layers.length} layers but its config ${manifest.config.digest} lists ${diffIDs.length} diff_ids`,
    );
  }
  const history = layerHistory(config);
  const layers: Layer[] = manifest.layers.map((descriptor, index) => ({
    index,
    descriptor,
    diffID: diffIDs[index] as Digest,
    history: history[index],
    open: () => opts.fetcher.openBlob(descriptor),
  }));
  const platform =
    platformFromIndex ??
    (config.os !== undefined && config.architecture !== undefined
      ? {
          os: config.os,
          architecture: config.architecture,
          ...(config.variant !== undefined ? { variant: config.variant } : {}),
        }
      : undefined);
  const manifestDigest = opts.manifestDigestKnown === false ? undefined : digest;
  return {
    kind: 'layered',
    source: opts.source,
    reference: opts.describe(manifestDigest),
    digest: manifestDigest,
    indexDigest,
    mediaType,
    manifest,
    configDigest: manifest.config.digest,
    configBytes,
    config,
    platform,
    layers,
  };
}
