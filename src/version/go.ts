import { MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';
import { compareSemverVersions, isNumericIdentifier, parseSemverText } from './semver-core.js';
import type { SemverVersion } from './semver-core.js';

// Two kinds of Go version share this scheme, so that a module's version and the toolchain
// version of the standard library can be ordered with one comparator:
//
// - Module versions (https://go.dev/ref/mod#versions): semver.org 2.0.0 with a mandatory `v`,
//   plus the `vMAJOR` and `vMAJOR.MINOR` shorthands golang.org/x/mod/semver accepts (they mean
//   .0 for what is missing). Pseudo-versions (https://go.dev/ref/mod#pseudo-versions) need no
//   rule of their own: `v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019...-abc` and
//   `v1.2.3-pre.0.2019...-abc` are ordinary pre-releases, whose timestamp identifier orders
//   them in time and below the release they precede. `+incompatible` is build metadata and so
//   does not take part in ordering.
// - Toolchain versions (https://go.dev/doc/toolchain#version), with or without the `go` prefix:
//   `go1.21.3`, `1.21rc2`, `go1.9beta2`, `1.21` (a language version). They are mapped onto the
//   semver line the Go vulnerability database uses for the standard library, which keeps the
//   toolchain order `1.21 < 1.21rc1 < 1.21rc2 < 1.21.0 < 1.21.1`: `1.21.3` is v1.21.3, `1.21rc2`
//   is v1.21.0-rc.2, and a language version from 1.21 on is v1.21.0-0, below every pre-release
//   of 1.21.0. Before 1.21 the first release of a minor was `1.N` itself, so `1.20` is v1.20.0.
//   Prereleases of patch releases (`1.21.1rc1`) do not exist and are refused, as Go does.
//
// Input without `v` is never a module version; `1.2.3` is the toolchain version v1.2.3.

const TOOLCHAIN = /^(?:go)?(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)|(alpha|beta|rc)(0|[1-9]\d*)?)?)?$/;
const SHORTHAND = /^v(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/;

// Go 1.21 was the first minor whose initial release is 1.N.0 rather than 1.N.
const FIRST_DOT_ZERO_MINOR = 21;

function parse(input: string): SemverVersion | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  if (input.startsWith('v')) {
    const short = SHORTHAND.exec(input);
    if (short) {
      return { major: short[1] ?? '0', minor: short[2] ?? '0', patch: '0', prerelease: [], build: [] };
    }
    const v = parseSemverText(input.slice(1));
    return typeof v === 'string' ? `a module version vMAJOR.MINOR.PATCH[-PRE][+BUILD]: ${v}` : v;
  }
  const m = TOOLCHAIN.exec(input);
  if (!m) return 'a module version with "v" (v1.2.3) or a Go toolchain version (go1.21.3, 1.21rc2)';
  const [, major = '0', minor, patch, kind, pre] = m;
  if (minor === undefined) return { major, minor: '0', patch: '0', prerelease: [], build: [] };
  if (patch !== undefined) return { major, minor, patch, prerelease: [], build: [] };
  if (kind !== undefined) {
    return { major, minor, patch: '0', prerelease: pre === undefined ? [kind] : [kind, pre], build: [] };
  }
  const languageVersion = isNumericIdentifier(minor) && Number(minor) >= FIRST_DOT_ZERO_MINOR;
  return { major, minor, patch: '0', prerelease: languageVersion ? ['0'] : [], build: [] };
}

function parseOrThrow(input: string): SemverVersion {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('go', input, result);
  return result;
}

/** Go module versions (golang.org/x/mod/semver order) and Go toolchain versions on one line. */
export const go: VersionScheme = {
  id: 'go',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareSemverVersions(parseOrThrow(a), parseOrThrow(b)),
};
