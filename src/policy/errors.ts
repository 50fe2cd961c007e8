import { PortcullisError } from '../core/index.js';

export type PolicyErrorCode =
  /** The file is not valid YAML or does not follow the schema; the message names file:line:col and the key. */
  | 'POLICY_INVALID'
  /** The policy file does not exist. */
  | 'POLICY_NOT_FOUND'
  /** The policy file is larger than {@link MAX_POLICY_BYTES}. */
  | 'POLICY_TOO_LARGE'
  /** The path exists but cannot be read (a directory, no permission). */
  | 'POLICY_UNREADABLE';

/** Thrown when a policy file cannot be loaded. */
export class PolicyError extends PortcullisError<PolicyErrorCode> {}
