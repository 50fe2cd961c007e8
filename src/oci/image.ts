import type { Readable } from 'node:stream';
import type { Digest } from '../core/index.js';
import type { Descriptor, HistoryEntry, ImageConfig, ImageManifest, Platform } from './schema.js';
import type { PlatformSpec } from './platform.js';

/** Where an image was read from; the prefix of the target string that names it. */
export type SourceKind = 'docker' | 'oci' | 'oci-archive' | 'docker-archive' | 'rootfs';

/** One layer of an image, in order from the base up. */
export type Layer = {
  readonly index: number;
  /** The layer as stored (compressed or not), as the manifest describes it. */
  readonly descriptor: Descriptor;
  /** Digest of the uncompressed tar, from the image config's rootfs.diff_ids. */
  readonly diffID: Digest;
  /** The history entry that produced this layer (empty_layer entries skipped), if recorded. */
  readonly history: HistoryEntry | undefined;
  /**
   * Opens the stored bytes. The stream fails with DIGEST_MISMATCH / SIZE_MISMATCH at its end
   * when the content does not match the descriptor, so consumers must treat an error
   * at any point as "this layer is not what it claims".
   */
  open(): Promise<Readable>;
};

/** An image made of layers: from a registry, an OCI layout or archive, or a docker-archive. */
export type LayeredImage = {
  readonly kind: 'layered';
  readonly source: SourceKind;
  /** Human-readable resolved reference, e.g. `docker.io/library/alpine:3.19@sha256:…` or `oci:/dir:tag`. */
  readonly reference: string;
  /** Digest of the image manifest, when the source has one (a legacy docker-archive has none). */
  readonly digest: Digest | undefined;
  /** Digest of the index the manifest was selected from, if any. */
  readonly indexDigest: Digest | undefined;
  readonly mediaType: string;
  readonly manifest: ImageManifest;
  readonly configDigest: Digest;
  /** The config blob exactly as stored (its digest is `configDigest`). */
  readonly configBytes: Buffer;
  readonly config: ImageConfig;
  readonly platform: Platform | undefined;
  readonly layers: readonly Layer[];
};

/** A plain root filesystem directory (`rootfs:DIR`): no manifest, config or layers. */
export type RootfsImage = {
  readonly kind: 'rootfs';
  readonly source: 'rootfs';
  readonly reference: string;
  /** Absolute path of the directory. */
  readonly root: string;
};

export type Image = LayeredImage | RootfsImage;

/** Options every image source accepts. */
export type OpenImageOptions = {
  /** Platform to select from an index; defaults to the host's. */
  readonly platform?: PlatformSpec;
};

/** Something that can produce an image: one implementation per transport. */
export interface ImageSource {
  readonly kind: SourceKind;
  /** Resolves the image (manifest, config, layers); nothing is downloaded beyond metadata. */
  open(options?: OpenImageOptions): Promise<Image>;
  /** Releases what the source holds (open files, temporary extractions). */
  close(): Promise<void>;
}
