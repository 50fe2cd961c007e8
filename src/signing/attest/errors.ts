import { PortcullisError } from '../../core/index.js';

/**
 * Codes for attestation inputs that cannot be used. An attestation that does not verify is not
 * one of them: verification returns its failures as data.
 */
export type AttestationErrorCode =
  /** A `--type` that is neither one of cosign's names nor an absolute URI. */
  | 'ATTESTATION_TYPE_INVALID'
  /** A predicate file that is not what its type needs (JSON, the vuln predicate's shape). */
  | 'ATTESTATION_PREDICATE_INVALID'
  /** A DSSE envelope that is not JSON of the envelope shape. */
  | 'ATTESTATION_ENVELOPE_INVALID';

/** Thrown for unusable predicate types, predicates and DSSE envelopes. */
export class AttestationError extends PortcullisError<AttestationErrorCode> {}
