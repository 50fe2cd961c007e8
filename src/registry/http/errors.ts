import type { RegistryErrorCode } from '../errors.js';

/** An OCI error code as it appears in a response body (distribution spec "Error Codes"). */
export type OciErrorCode =
  | Exclude<RegistryErrorCode, 'MANIFEST_TOO_LARGE' | 'STORAGE_FAILED'>
  | 'UNKNOWN'
  /** Authentication required (401, with a challenge). */
  | 'UNAUTHORIZED'
  /** Authenticated, but the access is not allowed (403). */
  | 'DENIED';

/** HTTP status and wire code of each registry error code; the one place that maps them. */
export const ERROR_RESPONSES: Readonly<Record<RegistryErrorCode, { status: number; code: OciErrorCode }>> = {
  BLOB_UNKNOWN: { status: 404, code: 'BLOB_UNKNOWN' },
  BLOB_UPLOAD_INVALID: { status: 400, code: 'BLOB_UPLOAD_INVALID' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },
  DIGEST_INVALID: { status: 400, code: 'DIGEST_INVALID' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, code: 'MANIFEST_BLOB_UNKNOWN' },
  MANIFEST_INVALID: { status: 400, code: 'MANIFEST_INVALID' },
  MANIFEST_UNKNOWN: { status: 404, code: 'MANIFEST_UNKNOWN' },
  NAME_INVALID: { status: 400, code: 'NAME_INVALID' },
  NAME_UNKNOWN: { status: 404, code: 'NAME_UNKNOWN' },
  SIZE_INVALID: { status: 400, code: 'SIZE_INVALID' },
  TAG_INVALID: { status: 400, code: 'TAG_INVALID' },
  UNSUPPORTED: { status: 405, code: 'UNSUPPORTED' },
  RANGE_INVALID: { status: 416, code: 'RANGE_INVALID' },
  // The spec asks for 413 on a manifest over the registry's limit.
  MANIFEST_TOO_LARGE: { status: 413, code: 'SIZE_INVALID' },
  STORAGE_FAILED: { status: 500, code: 'UNKNOWN' },
};

/** The spec's error body. */
export type ErrorBody = {
  readonly errors: readonly {
    readonly code: OciErrorCode;
    readonly message: string;
    readonly detail?: unknown;
  }[];
};
