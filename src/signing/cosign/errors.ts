import { PortcullisError } from '../../core/index.js';

/**
 * Codes for cosign wire-format failures. A signature that does not verify is not one of them:
 * verification returns its failures as data.
 */
export type CosignErrorCode =
  /** A simple-signing payload that is not JSON of the expected shape. */
  | 'COSIGN_PAYLOAD_INVALID'
  /** A `.sig` manifest that is not an OCI/Docker image manifest (or holds foreign layers). */
  | 'COSIGN_SIGNATURE_MANIFEST_INVALID'
  /** A public key that cannot be read, or of a type cosign signatures are not made with. */
  | 'COSIGN_PUBLIC_KEY_INVALID'
  /** A signing key that cannot sign (not a private key, unsupported type). */
  | 'COSIGN_PRIVATE_KEY_INVALID'
  /** An `-a key=value` annotation that is not `key=value`. */
  | 'COSIGN_ANNOTATION_INVALID'
  /** A Sigstore bundle that is not JSON of the bundle shape, or of an unknown media type. */
  | 'COSIGN_BUNDLE_INVALID'
  /** A trusted root (`trusted_root.json`) that cannot be read. */
  | 'COSIGN_TRUSTED_ROOT_INVALID'
  /** Appending would exceed the 1000 layers cosign allows in a signature manifest. */
  | 'COSIGN_TOO_MANY_SIGNATURES';

/** Thrown for malformed cosign payloads, signature manifests, keys and annotation flags. */
export class CosignError extends PortcullisError<CosignErrorCode> {}
