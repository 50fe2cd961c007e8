import { isPortcullisError } from '../core/index.js';

/**
 * Exit codes, stable for scripts and CI. 1 is reserved for "the command ran and found
 * problems" (policy failures, findings over a threshold) in the commands that gate.
 */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  integrity: 5,
  limit: 6,
  network: 7,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

// One table from error code to exit code; codes not listed are input problems (2) when they
// come from parsing, and internal errors otherwise.
const BY_CODE: Readonly<Record<string, ExitCode>> = {
  USAGE: ExitCode.usage,
  TARGET_INVALID: ExitCode.usage,
  PLATFORM_INVALID: ExitCode.usage,
  DIGEST_INVALID: ExitCode.usage,
  PLATFORM_NOT_FOUND: ExitCode.notFound,
  MANIFEST_UNKNOWN: ExitCode.notFound,
  BLOB_UNKNOWN: ExitCode.notFound,
  SOURCE_INVALID: ExitCode.usage,
  ARCHIVE_INVALID: ExitCode.usage,
  MANIFEST_INVALID: ExitCode.integrity,
  MANIFEST_UNSUPPORTED: ExitCode.usage,
  MANIFEST_TOO_LARGE: ExitCode.limit,
  CONFIG_INVALID: ExitCode.integrity,
  LAYER_INVALID: ExitCode.integrity,
  DIGEST_MISMATCH: ExitCode.integrity,
  SIZE_MISMATCH: ExitCode.integrity,
  DIFFID_MISMATCH: ExitCode.integrity,
  PATH_UNSAFE: ExitCode.integrity,
  LIMIT_EXCEEDED: ExitCode.limit,
  UNAUTHORIZED: ExitCode.auth,
  DENIED: ExitCode.auth,
  CREDENTIALS_INVALID: ExitCode.auth,
  CREDENTIAL_HELPER_FAILED: ExitCode.auth,
  INSECURE_REFUSED: ExitCode.usage,
  REGISTRY_UNREACHABLE: ExitCode.network,
  REGISTRY_ERROR: ExitCode.network,
  TOO_MANY_REQUESTS: ExitCode.network,
  TIMEOUT: ExitCode.network,
  IGNORE_INVALID: ExitCode.usage,
  VEX_INVALID: ExitCode.usage,
  SBOM_TOO_LARGE: ExitCode.limit,
  SBOM_TOO_MANY_PACKAGES: ExitCode.limit,
  SBOM_NOT_JSON: ExitCode.usage,
  SBOM_FORMAT_UNKNOWN: ExitCode.usage,
  SBOM_VERSION_UNSUPPORTED: ExitCode.usage,
  SBOM_INVALID: ExitCode.usage,
  DB_NOT_FOUND: ExitCode.notFound,
  DB_INCOMPATIBLE: ExitCode.usage,
  INPUT_INVALID: ExitCode.usage,
  INPUT_TOO_LARGE: ExitCode.limit,
  FEED_INVALID: ExitCode.usage,
  VERSION_INVALID: ExitCode.usage,
  UPDATE_DOWNLOAD_FAILED: ExitCode.network,
  UPDATE_ARCHIVE_INVALID: ExitCode.integrity,
  UPDATE_LOCKED: ExitCode.usage,
  POLICY_INVALID: ExitCode.usage,
  POLICY_UNREADABLE: ExitCode.usage,
  POLICY_NOT_FOUND: ExitCode.notFound,
  POLICY_TOO_LARGE: ExitCode.limit,
  KEY_PASSWORD_WRONG: ExitCode.auth,
  KEY_NOT_FOUND: ExitCode.notFound,
  KEY_INVALID: ExitCode.usage,
  KEY_UNSUPPORTED: ExitCode.usage,
  KEY_ENVELOPE_UNSUPPORTED: ExitCode.usage,
  KEY_SEC1_IN_ENVELOPE: ExitCode.usage,
  KEY_PASSWORD_MISSING: ExitCode.usage,
  KEY_PASSWORD_MISMATCH: ExitCode.usage,
  KEY_FILE_EXISTS: ExitCode.usage,
  COSIGN_PUBLIC_KEY_INVALID: ExitCode.usage,
  COSIGN_PRIVATE_KEY_INVALID: ExitCode.usage,
  COSIGN_ANNOTATION_INVALID: ExitCode.usage,
  COSIGN_TRUSTED_ROOT_INVALID: ExitCode.usage,
  COSIGN_PAYLOAD_INVALID: ExitCode.integrity,
  COSIGN_SIGNATURE_MANIFEST_INVALID: ExitCode.integrity,
  COSIGN_BUNDLE_INVALID: ExitCode.integrity,
  COSIGN_TOO_MANY_SIGNATURES: ExitCode.limit,
  IMAGE_CONFIG_INVALID: ExitCode.usage,
  VERIFIER_REQUIREMENT_INVALID: ExitCode.usage,
  VERIFIER_OPTIONS_INVALID: ExitCode.usage,
  ATTESTATION_TYPE_INVALID: ExitCode.usage,
  ATTESTATION_PREDICATE_INVALID: ExitCode.usage,
  ATTESTATION_ENVELOPE_INVALID: ExitCode.integrity,
  ADMISSION_REVIEW_INVALID: ExitCode.usage,
  ADMISSION_OBJECT_INVALID: ExitCode.usage,
  GATEKEEPER_IMPORT_INVALID: ExitCode.usage,
  GATEKEEPER_IMPORT_UNSUPPORTED: ExitCode.usage,
  MANIFESTS_UNREADABLE: ExitCode.usage,
  MANIFESTS_INVALID: ExitCode.usage,
  MANIFESTS_TOO_LARGE: ExitCode.limit,
  ADMISSION_MANIFESTS_INVALID: ExitCode.usage,
  TLS_OPTIONS_INVALID: ExitCode.usage,
  TLS_CA_INVALID: ExitCode.usage,
  WEBHOOK_OPTIONS_INVALID: ExitCode.usage,
  WEBHOOK_TLS_INVALID: ExitCode.usage,
  WEBHOOK_LISTEN_FAILED: ExitCode.network,
  FACTS_OPTIONS_INVALID: ExitCode.usage,
};

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!isPortcullisError(err)) return ExitCode.internal;
  const mapped = BY_CODE[err.code];
  if (mapped !== undefined) return mapped;
  // Reference grammar errors (imageref) are all input errors.
  return err.code.startsWith('REF_') ? ExitCode.usage : ExitCode.internal;
}
