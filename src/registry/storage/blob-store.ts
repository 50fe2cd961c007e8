import type { Readable } from 'node:stream';
import type { Digest } from '../../core/index.js';

/** A stored blob: its digest and size in bytes. */
export type BlobInfo = { readonly digest: Digest; readonly size: number };

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export type ByteRange = { readonly start: number; readonly end: number };

/** The state of an upload session: bytes received so far, and when it began. */
export type UploadStatus = {
  readonly id: string;
  /** The repository the session was started for; sessions are not shared across repositories. */
  readonly repository: string;
  readonly size: number;
  readonly startedAt: string;
};

/**
 * Content-addressed blob storage with resumable upload sessions. Knows nothing of
 * repositories beyond tagging sessions with one: which repository may see which blob is the
 * metadata store's business. A filesystem implementation exists; an object store (S3) can be
 * added behind the same contract.
 */
export interface BlobStore {
  /** The blob's size, or undefined when it is not stored. */
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /**
   * Streams the blob, or the inclusive `range` of it.
   * @throws RegistryError BLOB_UNKNOWN when absent, RANGE_INVALID for a range outside it.
   */
  open(digest: Digest, range?: ByteRange): Promise<Readable>;
  /**
   * Stores `source` under `digest` after verifying it hashes to `digest` (and has
   * `expectedSize` bytes when given). Nothing is stored when verification fails.
   * @throws RegistryError DIGEST_INVALID or SIZE_INVALID on mismatch, STORAGE_FAILED on I/O.
   */
  put(digest: Digest, source: Readable, expectedSize?: number): Promise<BlobInfo>;
  /** Removes the blob; false when it was not there. */
  delete(digest: Digest): Promise<boolean>;
  /** Opens a new upload session for `repository`. */
  startUpload(repository: string): Promise<UploadStatus>;
  /** @throws RegistryError BLOB_UPLOAD_UNKNOWN for an unknown (or another repository's) session. */
  uploadStatus(repository: string, id: string): Promise<UploadStatus>;
  /**
   * Appends `source` to the session. With `start`, the chunk must begin exactly where the
   * session ends (chunks in order, no gaps or overlaps).
   * @throws RegistryError BLOB_UPLOAD_UNKNOWN, RANGE_INVALID for a chunk out of order.
   */
  appendUpload(repository: string, id: string, source: Readable, start?: number): Promise<UploadStatus>;
  /**
   * Verifies the session's content against `digest` and moves it into the store; the session
   * ends either way (a mismatch discards it).
   * @throws RegistryError BLOB_UPLOAD_UNKNOWN, DIGEST_INVALID on mismatch.
   */
  commitUpload(repository: string, id: string, digest: Digest): Promise<BlobInfo>;
  /** Ends the session and discards its content. @throws RegistryError BLOB_UPLOAD_UNKNOWN. */
  cancelUpload(repository: string, id: string): Promise<void>;
}
