import { errorMessage, isPortcullisError, type Digest, type Logger } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import { RegistryError } from '../errors.js';
import { checkManifest, MAX_MANIFEST_BYTES, type CheckedManifest } from '../manifest.js';
import type { LinkedDigest, MetadataStore, StoredManifest } from '../metadata/metadata-store.js';
import type { BlobStore, StoredBlob } from '../storage/blob-store.js';

// Mark and sweep, safe beside a running server.
//
// Mark: every manifest recorded in metadata (tagged or not: referrers are untagged) and what its
// stored bytes reference (config, layers, child manifests, recursively).
//
// Sweep: a blob neither marked nor touched within the grace period loses its links and then its
// bytes; unfinished uploads idle longer than the grace period go too. What protects a push in
// flight:
// - a blob uploaded (or linked, or mounted) within the grace period is kept, so the layers of an
//   image whose manifest has not arrived yet survive;
// - links go first, through MetadataStore.releaseBlob, whose transaction re-checks that no
//   manifest was recorded since the mark (else the marks are refreshed and the blob re-judged),
//   that the digest is not itself a manifest, and that no link is younger than the grace period.
//   A manifest PUT records itself through putManifest, whose transaction checks that its blobs
//   are still linked, so of the two writes only one can win: either the manifest is recorded
//   first (the release sees a new generation) or the release commits first (the PUT is refused
//   with MANIFEST_BLOB_UNKNOWN and the client pushes the blob again);
// - the bytes go last, through BlobStore.delete with `unmodifiedSince`: a blob written again
//   while gc decided (an upload completing, a monolithic push) has a fresh time and stays.
// What remains is a window of a file-system call between that last check and the unlink, in
// which a client would have to upload, link and reference the same blob; the outcome then is
// a blob reported missing (404, MANIFEST_BLOB_UNKNOWN), never a partial blob.

/** Options of one collection. */
export type GcOptions = {
  /** Blobs, links and uploads younger than this many seconds are never collected. */
  readonly gracePeriodSeconds: number;
  /** Only report what would go. */
  readonly dryRun?: boolean | undefined;
  /** The clock (tests); defaults to now. */
  readonly now?: Date | undefined;
  readonly logger?: Logger | undefined;
};

/** A blob collected (or, in a dry run, that would be); `size` is 0 for a link without bytes. */
export type CollectedBlob = {
  readonly digest: Digest;
  readonly size: number;
  /** Whether its bytes were stored (a link may outlive its blob). */
  readonly stored: boolean;
};

/** An unfinished upload collected (or that would be). */
export type CollectedUpload = {
  readonly id: string;
  readonly repository?: string | undefined;
  readonly size: number;
};

/** What a collection found and did. */
export type GcReport = {
  readonly dryRun: boolean;
  readonly gracePeriodSeconds: number;
  /** Recorded manifests, and the blobs marked as in use (manifests included). */
  readonly manifests: number;
  readonly marked: number;
  readonly blobs: readonly CollectedBlob[];
  /** Repository links removed with the blobs (in a dry run, that would be). */
  readonly links: number;
  readonly uploads: readonly CollectedUpload[];
  /**
   * Unreferenced blobs left in place: younger than the grace period, or pushed again (or still
   * changing under concurrent manifest pushes) while gc decided.
   */
  readonly kept: number;
  /** Bytes of blobs and uploads removed (or that would be). */
  readonly bytesFreed: number;
};

// How often a blob is re-judged when manifests keep arriving during its release.
const MAX_STALE_RETRIES = 5;

/**
 * Collects unreferenced blobs and abandoned uploads older than the grace period.
 * @throws RegistryError MANIFEST_INVALID when a recorded manifest's bytes are missing or unreadable
 * (nothing is deleted then: what it references is unknown); STORAGE_FAILED on I/O.
 */
export async function collectGarbage(
  blobs: BlobStore,
  metadata: MetadataStore,
  options: GcOptions,
): Promise<GcReport> {
  const dryRun = options.dryRun === true;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.gracePeriodSeconds * 1000);
  const log = options.logger;

  const marks = new Marks(blobs);
  let generation = await marks.markRecorded(metadata);

  // Everything that could go: stored blobs and linked digests, minus the marked.
  const stored = new Map<Digest, StoredBlob>();
  for await (const b of blobs.listBlobs()) stored.set(b.digest, b);
  const linked = new Map<Digest, LinkedDigest>();
  for (const l of await metadata.listLinkedDigests()) linked.set(l.digest, l);
  const candidates = [...new Set([...stored.keys(), ...linked.keys()])].sort();

  const collected: CollectedBlob[] = [];
  let links = 0;
  let kept = 0;
  for (const digest of candidates) {
    if (marks.has(digest)) continue;
    const blob = stored.get(digest);
    const link = linked.get(digest);
    if (
      (blob !== undefined && blob.modifiedAt >= cutoff) ||
      (link !== undefined && link.lastLinkedAt >= cutoff)
    ) {
      kept++;
      continue;
    }
    if (dryRun) {
      collected.push({ digest, size: blob?.size ?? 0, stored: blob !== undefined });
      continue;
    }
    let released: number | undefined;
    for (let attempt = 0; attempt <= MAX_STALE_RETRIES && released === undefined; attempt++) {
      const outcome = await metadata.releaseBlob(digest, { generation, linkedBefore: cutoff });
      if (outcome.kind === 'kept') break;
      if (outcome.kind === 'released') released = outcome.links;
      else {
        // Manifests arrived since the mark: mark them, then judge this blob again.
        generation = await marks.markRecorded(metadata);
        if (marks.has(digest)) break;
      }
    }
    if (released === undefined) {
      kept++;
      continue;
    }
    links += released;
    const removed = blob !== undefined && (await blobs.delete(digest, cutoff));
    if (blob !== undefined && !removed) {
      // Written again after the listing: its links are gone, but whoever wrote it links it next.
      kept++;
      continue;
    }
    collected.push({ digest, size: removed ? blob.size : 0, stored: removed });
    log?.info('gc: blob removed', { digest, size: removed ? blob.size : 0, links: released });
  }

  const uploads: CollectedUpload[] = [];
  for await (const u of blobs.listUploads()) {
    if (u.modifiedAt >= cutoff) continue;
    if (!dryRun && !(await blobs.deleteUpload(u.id))) continue;
    uploads.push({ id: u.id, repository: u.repository, size: u.size });
    if (!dryRun) log?.info('gc: upload removed', { id: u.id, size: u.size });
  }

  // A dry run releases nothing: count the links the collected digests have now.
  if (dryRun) links = collected.reduce((sum, b) => sum + (linked.get(b.digest)?.links ?? 0), 0);
  const bytesFreed =
    collected.reduce((sum, b) => sum + b.size, 0) + uploads.reduce((sum, u) => sum + u.size, 0);
  return {
    dryRun,
    gracePeriodSeconds: options.gracePeriodSeconds,
    manifests: marks.recorded,
    marked: marks.size,
    blobs: collected,
    links,
    uploads,
    kept,
    bytesFreed,
  };
}

/** The mark set: recorded manifests and everything their bytes reference, each parsed once. */
class Marks {
  readonly #blobs: BlobStore;
  readonly #marked = new Set<Digest>();
  readonly #expanded = new Set<Digest>();
  recorded = 0;

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  get size(): number {
    return this.#marked.size;
  }

  has(digest: Digest): boolean {
    return this.#marked.has(digest);
  }

  /** Marks every recorded manifest not seen yet; returns the inventory's generation. */
  async markRecorded(metadata: MetadataStore): Promise<number> {
    const inventory = await metadata.listManifests();
    this.recorded = inventory.manifests.length;
    for (const m of inventory.manifests) await this.#expand(m, true);
    return inventory.generation;
  }

  async #expand(
    m: StoredManifest | { readonly digest: Digest; readonly mediaType?: undefined },
    recorded: boolean,
  ): Promise<void> {
    this.#marked.add(m.digest);
    if (this.#expanded.has(m.digest)) return;
    this.#expanded.add(m.digest);
    const checked = await this.#read(m.digest, m.mediaType, recorded);
    if (checked === undefined) return;
    for (const b of checked.blobs) this.#marked.add(b);
    for (const child of checked.manifests) await this.#expand({ digest: child }, false);
  }

  // A recorded manifest must be readable, or its references are unknown and nothing may be
  // swept. A child of an index that is not recorded itself may simply be absent.
  async #read(
    digest: Digest,
    mediaType: string | undefined,
    recorded: boolean,
  ): Promise<CheckedManifest | undefined> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readManifestBytes(this.#blobs, digest);
    } catch (err) {
      if (!(isPortcullisError(err) && err.code === 'BLOB_UNKNOWN') || recorded) {
        throw new RegistryError(
          'MANIFEST_INVALID',
          `garbage collection stopped: the bytes of manifest ${digest} cannot be read (${errorMessage(err)}), so what it references is unknown`,
          { cause: err },
        );
      }
      return undefined;
    }
    // A body without its own mediaType needs the type it was pushed with; for a child of an
    // index that type is not at hand, and the two schemas do not accept each other's bodies.
    const types =
      mediaType === undefined ? [undefined, MediaType.ociManifest, MediaType.ociIndex] : [mediaType];
    let last: unknown;
    for (const t of types) {
      try {
        return checkManifest(bytes, t);
      } catch (err) {
        last = err;
      }
    }
    throw new RegistryError(
      'MANIFEST_INVALID',
      `garbage collection stopped: manifest ${digest} cannot be parsed (${errorMessage(last)}), so what it references is unknown`,
      { cause: last },
    );
  }
}

async function readManifestBytes(blobs: BlobStore, digest: Digest): Promise<Buffer> {
  const stream = await blobs.open(digest);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_MANIFEST_BYTES) {
      stream.destroy();
      throw new RegistryError('MANIFEST_TOO_LARGE', `manifest ${digest} is over ${MAX_MANIFEST_BYTES} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
