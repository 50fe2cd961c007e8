/**
 * Resource limits for reading untrusted images. Every reader takes these so that a hostile
 * image (decompression bomb, millions of entries, a giant "config") fails with a clear error
 * instead of exhausting memory or disk.
 */
export type Limits = {
  /** Largest single file the layer reader will buffer in memory. */
  readonly maxFileBytes: number;
  /** Total decompressed bytes across all layers of one image. */
  readonly maxDecompressedBytes: number;
  /** Total tar entries across all layers of one image. */
  readonly maxEntries: number;
  /** Largest manifest or index accepted (the OCI distribution spec suggests 4 MiB). */
  readonly maxManifestBytes: number;
  /** Largest image config blob accepted. */
  readonly maxConfigBytes: number;
  /** Symlink hops followed when resolving a path inside an image (Linux uses 40). */
  readonly maxSymlinkHops: number;
};

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024 * 1024,
  maxEntries: 2_000_000,
  maxManifestBytes: 4 * 1024 * 1024,
  maxConfigBytes: 8 * 1024 * 1024,
  maxSymlinkHops: 40,
};

/** Defaults overridden by whatever the caller sets. */
export function resolveLimits(overrides?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
