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

/** A stored blob as garbage collection sees it: its digest, size and when it was last written. */
export type StoredBlob = { readonly digest: Digest; readonly size: number; readonly modifiedAt: Date };

/**
 * An unfinished write: an upload session, or what an interrupted write left behind (a session
 * without its description, a temporary file). Garbage collection discards those idle too long.
 */
export type PendingUpload = {
  /** Opaque; what `deleteUpload` takes. A session's id is the one clients use. */
  readonly id: string;
  /** The session's repository; undefined for leftovers no client can address. */
  readonly repository?: string | undefined;
  readonly size: number;
  /** When bytes were last written: a session in use keeps moving it forward. */
  readonly modifiedAt: Date;
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
  /**
   * Removes the blob; false when it was not there, or when `unmodifiedSince` is given and the
   * blob was written at or after it (a client stored it again while garbage collection decided).
   */
  delete(digest: Digest, unmodifiedSince?: Date): Promise<boolean>;
  /** Every stored blob (for garbage collection), in no particular order. */
  listBlobs(): AsyncIterable<StoredBlob>;
  /** Every unfinished write, sessions and leftovers alike (for garbage collection). */
  listUploads(): AsyncIterable<PendingUpload>;
  /** Discards an unfinished write whatever its repository; false when it was already gone. */
  deleteUpload(id: string): Promise<boolean>;
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
