import { prepareArchive, type LocalArchive } from '../archive/compression.js';
import { indexTar } from '../archive/tar.js';
import type { ImageSource, LayeredImage, OpenImageOptions } from '../image.js';
import { describeLocal, resolveLayout } from './layout.js';
import { resolveSourceOptions, type ResolvedSourceOptions, type SourceOptions } from './options.js';
import { TarStore } from './store.js';

/**
 * An image archive prepared once for random access: decompressed into the cache directory when
 * it is gzip-compressed, then indexed by its tar headers. Closing removes the decompressed copy.
 */
export class ArchiveFile {
  readonly file: string;
  private readonly options: ResolvedSourceOptions;
  private prepared: Promise<{ archive: LocalArchive; store: TarStore }> | undefined;

  constructor(file: string, options: ResolvedSourceOptions) {
    this.file = file;
    this.options = options;
  }

  /**
   * The indexed archive, prepared on first use.
   * @throws OciError SOURCE_INVALID, ARCHIVE_INVALID or LIMIT_EXCEEDED (see prepareArchive and indexTar).
   */
  store(): Promise<TarStore> {
    this.prepared ??= this.prepare();
    return this.prepared.then((p) => p.store);
  }

  private async prepare(): Promise<{ archive: LocalArchive; store: TarStore }> {
    const archive = await prepareArchive(this.file, {
      cacheDir: this.options.cacheDir,
      maxBytes: this.options.limits.maxDecompressedBytes,
      logger: this.options.logger,
    });
    try {
      const index = await indexTar(archive.path, {
        maxEntries: this.options.limits.maxEntries,
        label: this.file,
      });
      return { archive, store: new TarStore(index) };
    } catch (err) {
      await archive.dispose();
      throw err;
    }
  }

  /** Removes any temporary copy; streams opened from it afterwards fail. */
  async close(): Promise<void> {
    const prepared = this.prepared;
    this.prepared = undefined;
    if (prepared === undefined) return;
    try {
      const { archive } = await prepared;
      await archive.dispose();
    } catch {
      // Preparation failed and already cleaned up after itself; its error went to the caller of open().
    }
  }
}

/** `oci-archive:FILE[:TAG]`: a tar (optionally gzip-compressed) of an OCI image layout. */
export class OciArchiveSource implements ImageSource {
  readonly kind = 'oci-archive' as const;
  readonly file: string;
  readonly tag: string | undefined;
  private readonly options: ResolvedSourceOptions;
  private readonly archive: ArchiveFile;

  constructor(file: string, tag: string | undefined, options?: SourceOptions) {
    this.file = file;
    this.tag = tag;
    this.options = resolveSourceOptions(options);
    this.archive = new ArchiveFile(file, this.options);
  }

  /**
   * Resolves the image; layers are streamed from the archive (or its decompressed copy) when opened.
   * @throws OciError SOURCE_INVALID (missing file), ARCHIVE_INVALID (not a tar, truncated, not an
   *   OCI layout, hostile entry paths), MANIFEST_UNKNOWN, TARGET_INVALID, BLOB_UNKNOWN and the
   *   errors of `resolveImage`.
   */
  async open(options?: OpenImageOptions): Promise<LayeredImage> {
    const store = await this.archive.store();
    return resolveLayout(store, {
      source: this.kind,
      tag: this.tag,
      platform: options?.platform ?? this.options.platform,
      limits: this.options.limits,
      describe: (d) => describeLocal(this.kind, this.file, this.tag, d),
    });
  }

  /** Removes the decompressed copy, if one was made; layers cannot be read afterwards. */
  close(): Promise<void> {
    return this.archive.close();
  }
}
