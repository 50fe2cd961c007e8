import { PortcullisError } from '../core/index.js';

export type VersionErrorCode = 'VERSION_INVALID' | 'SCHEME_UNKNOWN';

export class VersionError extends PortcullisError<VersionErrorCode> {}

/** Identifiers of the version schemes, one per ecosystem ordering. */
export type SchemeId =
  | 'dpkg'
  | 'apk'
  | 'rpm'
  | 'semver'
  | 'pep440'
  | 'go'
  | 'maven'
  | 'rubygems'
  | 'composer'
  | 'nuget'
  | 'crates';

/**
 * One ecosystem's version ordering. `compare` returns a negative number, 0 or a positive
 * number, and throws VersionError VERSION_INVALID (naming the input and the scheme) for input
 * the scheme cannot order — it never orders garbage silently.
 */
export interface VersionScheme {
  readonly id: SchemeId;
  isValid(version: string): boolean;
  /** @throws VersionError VERSION_INVALID when either side is not a valid version. */
  compare(a: string, b: string): number;
}

/** The error every scheme throws for input it cannot parse. */
export function invalidVersion(scheme: SchemeId, input: string, expected: string): VersionError {
  const shown = input.length > 80 ? `${input.slice(0, 80)}…` : input;
  return new VersionError('VERSION_INVALID', `invalid ${scheme} version "${shown}": ${expected}`);
}
