import { PortcullisError } from '../../core/index.js';

export type RegistryAuthErrorCode =
  /** A user, project or robot name does not follow the naming rules. */
  | 'NAME_INVALID'
  /** A password is empty, too short or too long. */
  | 'PASSWORD_INVALID'
  /** A role, action or robot permission is not one the registry knows. */
  | 'PERMISSION_INVALID'
  /** The account, project, membership or robot already exists. */
  | 'ALREADY_EXISTS'
  /** The account, project, membership or robot does not exist. */
  | 'NOT_FOUND'
  /** An `Authorization` header could not be read (not Basic/Bearer, bad base64, no colon, too long). */
  | 'CREDENTIALS_MALFORMED'
  /** A `scope` parameter does not follow `type:name:actions` with a known type, name and actions. */
  | 'SCOPE_INVALID'
  /** A token is malformed or its signature, issuer, algorithm or claims do not verify. */
  | 'TOKEN_INVALID'
  /** A token's `exp` has passed (beyond the allowed clock skew). */
  | 'TOKEN_EXPIRED'
  /** A token's `nbf` is still in the future (beyond the allowed clock skew). */
  | 'TOKEN_NOT_YET_VALID'
  /** A token was issued for another service (`aud`). */
  | 'TOKEN_AUDIENCE'
  /** A signing key is not an EC P-256 key (ES256), or a verification key is missing. */
  | 'KEY_INVALID'
  /** The account tables were written by a newer Portcullis. */
  | 'STORE_INCOMPATIBLE';

/**
 * Errors of registry authentication and authorization. Messages never contain a password or a
 * token, only names (truncated) and what was expected.
 */
export class RegistryAuthError extends PortcullisError<RegistryAuthErrorCode> {}
