import { PortcullisError } from '../core/index.js';

/**
 * Codes of the registry capability. Most are the OCI distribution spec's own error codes
 * (spec.md "Error Codes"), so the HTTP layer maps them one to one; STORAGE_FAILED is ours.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNSUPPORTED'
  | 'RANGE_INVALID'
  | 'MANIFEST_TOO_LARGE'
  | 'STORAGE_FAILED';

/** An error of the registry's storage, metadata or HTTP layers. */
export class RegistryError extends PortcullisError<RegistryErrorCode> {}
