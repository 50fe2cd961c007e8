import { apk } from './apk.js';
import { composer } from './composer.js';
import { crates } from './crates.js';
import { dpkg } from './dpkg.js';
import { go } from './go.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import { semver } from './semver.js';
import { VersionError } from './scheme.js';
import type { SchemeId, VersionScheme } from './scheme.js';

// Every scheme, once. Add a new scheme's import above and its name here; the ordering-laws
// meta-test (laws.test.ts) then requires sample versions for it.
const SCHEMES: readonly VersionScheme[] = [
  dpkg,
  apk,
  rpm,
  pep440,
  semver,
  go,
  maven,
  rubygems,
  composer,
  nuget,
  crates,
];

const BY_ID: ReadonlyMap<SchemeId, VersionScheme> = new Map(SCHEMES.map((s) => [s.id, s]));

/**
 * The scheme with this id.
 * @throws VersionError SCHEME_UNKNOWN when no scheme is registered under `id`.
 */
export function getScheme(id: SchemeId): VersionScheme {
  const scheme = BY_ID.get(id);
  if (scheme === undefined) {
    throw new VersionError('SCHEME_UNKNOWN', `unknown version scheme "${id}"`);
  }
  return scheme;
}

/** Every registered scheme, in registration order. */
export function allSchemes(): readonly VersionScheme[] {
  return SCHEMES;
}

/**
 * Compares two versions under a scheme (given as the scheme or its id): negative, 0 or positive.
 * @throws VersionError SCHEME_UNKNOWN for an unknown id, VERSION_INVALID for an invalid version.
 */
export function compareVersions(scheme: VersionScheme | SchemeId, a: string, b: string): number {
  const s = typeof scheme === 'string' ? getScheme(scheme) : scheme;
  return s.compare(a, b);
}
