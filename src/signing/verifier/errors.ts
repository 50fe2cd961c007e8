import { PortcullisError } from '../../core/index.js';

/** Codes for a verification requirement or verifier configuration that cannot be used. */
export type VerifierErrorCode =
  /** The requirement names no trusted key and no identity, or a keyless identity without a trusted root. */
  | 'VERIFIER_REQUIREMENT_INVALID'
  /** The cache bounds are not positive whole numbers. */
  | 'VERIFIER_OPTIONS_INVALID';

/** Thrown for requirements and options that are wrong before any registry is asked. */
export class VerifierError extends PortcullisError<VerifierErrorCode> {}
