import { truncateForMessage, tryParseDigest } from '../core/index.js';
import { ImageRefError, type ImageRefErrorCode } from './errors.js';
import { DIGEST_GRAMMAR_RE, DOMAIN_RE, IDENTIFIER_RE, PATH_COMPONENT_RE, TAG_RE } from './grammar.js';
import type { ImageRef, RepositoryRef } from './types.js';

/** The registry that names without a registry component refer to. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
/** The tag Docker assumes when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Longest repository path accepted (distribution's RepositoryNameTotalLengthMax). */
export const MAX_REPOSITORY_PATH_LENGTH = 255;
/** Longest reference string looked at; anything longer is refused before any regex runs. */
export const MAX_REFERENCE_LENGTH = 4096;

const MAX_REGISTRY_LENGTH = 253 + ':65535'.length;
const LEGACY_DOCKER_HUB_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const EXAMPLES = 'for example nginx:1.25, ghcr.io/org/app@sha256:<64 hex> or localhost:5000/team/app';

type Outcome =
  { readonly ok: true; readonly ref: ImageRef } | { readonly ok: false; readonly error: ImageRefError };

function fail(code: ImageRefErrorCode, input: string, why: string): Outcome {
  return {
    ok: false,
    error: new ImageRefError(code, `invalid image reference "${truncateForMessage(input)}": ${why}`),
  };
}

/**
 * Checks a repository path (`library/nginx`, `org/team/app`) as it appears after the registry
 * and in registry API URLs: lower-case components joined by single slashes, at most 255 chars.
 */
export function isValidRepositoryPath(path: string): boolean {
  return pathProblem(path) === undefined;
}

/** Checks a tag: a word character, then up to 127 word characters, dots or dashes. */
export function isValidTag(tag: string): boolean {
  return tag.length <= 128 && TAG_RE.test(tag);
}

function pathProblem(path: string): { code: ImageRefErrorCode; why: string } | undefined {
  if (path.length > MAX_REPOSITORY_PATH_LENGTH) {
    return {
      code: 'REF_NAME_TOO_LONG',
      why: `repository path is ${path.length} characters long, at most ${MAX_REPOSITORY_PATH_LENGTH} are allowed`,
    };
  }
  if (path === '') return { code: 'REF_INVALID_FORMAT', why: 'the repository path is empty' };
  const lower = path.toLowerCase();
  const components = lower.split('/');
  if (!components.every((c) => PATH_COMPONENT_RE.test(c))) {
    return {
      code: 'REF_INVALID_FORMAT',
      why:
        'the repository path must be lower-case letters and digits, separated inside a component by ".", "_", "__" or dashes, ' +
        `and components joined by single "/" (${EXAMPLES})`,
    };
  }
  // Only blame the case when lower-casing would have made the path valid.
  if (lower !== path)
    return { code: 'REF_UPPERCASE', why: `repository path "${truncateForMessage(path)}" must be lower-case` };
  return undefined;
}

function digestProblem(digest: string): string | undefined {
  if (tryParseDigest(digest) !== undefined) return undefined;
  if (digest.startsWith('sha256:'))
    return 'a sha256 digest has exactly 64 lower-case hex characters after "sha256:"';
  if (digest.startsWith('sha512:'))
    return 'a sha512 digest has exactly 128 lower-case hex characters after "sha512:"';
  if (!DIGEST_GRAMMAR_RE.test(digest)) return 'the digest must look like sha256:<64 lower-case hex>';
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return `digest algorithm "${truncateForMessage(algorithm, 40)}" is not supported: expected sha256 (or sha512)`;
}

/**
 * The whole parse, returning its error instead of throwing so that `tryParseImageRef` costs
 * no exception. The order of checks follows distribution's ParseNormalizedNamed: split off the
 * digest and tag, decide whether the first component is a registry, normalize Docker Hub names,
 * then validate registry, path, tag and digest.
 */
function parse(input: string): Outcome {
  if (input === '') return fail('REF_EMPTY', input, `the reference is empty (${EXAMPLES})`);
  if (input.length > MAX_REFERENCE_LENGTH) {
    return fail('REF_TOO_LONG', input, `the reference is longer than ${MAX_REFERENCE_LENGTH} characters`);
  }
  if (IDENTIFIER_RE.test(input)) {
    return fail(
      'REF_INVALID_FORMAT',
      input,
      'a 64-hex image ID is not a repository name (use name@sha256:<hex>)',
    );
  }

  const at = input.indexOf('@');
  const nameAndTag = at < 0 ? input : input.slice(0, at);
  const digest = at < 0 ? undefined : input.slice(at + 1);

  // A tag follows the last "/", so the ":" of a registry port is never taken for one.
  const colon = nameAndTag.indexOf(':', nameAndTag.lastIndexOf('/') + 1);
  const name = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
  if (name === '') return fail('REF_INVALID_FORMAT', input, `the repository name is missing (${EXAMPLES})`);

  let registry = DOCKER_HUB_REGISTRY;
  let path = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const first = name.slice(0, slash);
    // distribution's rule: a first component is a registry when it has a "." or ":", is
    // "localhost", or has upper case (which a repository path never may).
    if (
      first === 'localhost' ||
      first.includes('.') ||
      first.includes(':') ||
      first !== first.toLowerCase()
    ) {
      // DNS names stop at 253 characters (RFC 1035), plus room for ":port"; the grammar
      // itself sets no limit, but nothing longer can be contacted.
      if (first.length > MAX_REGISTRY_LENGTH) {
        return fail('REF_INVALID_FORMAT', input, `registry is longer than ${MAX_REGISTRY_LENGTH} characters`);
      }
      if (!DOMAIN_RE.test(first)) {
        return fail(
          'REF_INVALID_FORMAT',
          input,
          `registry "${truncateForMessage(first, 80)}" is not a valid host[:port]`,
        );
      }
      registry = first === LEGACY_DOCKER_HUB_REGISTRY ? DOCKER_HUB_REGISTRY : first;
      path = name.slice(slash + 1);
    }
  }
  if (registry === DOCKER_HUB_REGISTRY && path !== '' && !path.includes('/')) path = OFFICIAL_PREFIX + path;

  const problem = pathProblem(path);
  if (problem !== undefined) return fail(problem.code, input, problem.why);

  if (tag !== undefined && !isValidTag(tag)) {
    return fail(
      'REF_TAG_INVALID',
      input,
      `tag "${truncateForMessage(tag, 80)}" is invalid: expected a letter, digit or "_" followed by up to 127 letters, digits, "_", "." or "-"`,
    );
  }
  if (digest !== undefined) {
    const why = digestProblem(digest);
    if (why !== undefined) return fail('REF_DIGEST_INVALID', input, why);
  }

  return {
    ok: true,
    ref: {
      registry,
      repository: path,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}

/**
 * Parses and normalizes an image reference the way Docker does: `nginx` becomes
 * `docker.io/library/nginx`, `index.docker.io` becomes `docker.io`, and `name:tag@digest`
 * keeps both tag and digest. No default tag is added (see `withDefaultTag`).
 *
 * @throws ImageRefError REF_EMPTY, REF_TOO_LONG, REF_INVALID_FORMAT, REF_UPPERCASE,
 *   REF_NAME_TOO_LONG, REF_TAG_INVALID or REF_DIGEST_INVALID, naming the input.
 */
export function parseImageRef(input: string): ImageRef {
  const outcome = parse(input);
  if (!outcome.ok) throw outcome.error;
  return outcome.ref;
}

/** Like `parseImageRef`, but returns undefined for an invalid reference. Never throws. */
export function tryParseImageRef(input: string): ImageRef | undefined {
  const outcome = parse(input);
  return outcome.ok ? outcome.ref : undefined;
}

/**
 * Parses a repository name without tag or digest (`nginx`, `ghcr.io/org/app`), normalized
 * like `parseImageRef`.
 *
 * @throws ImageRefError as `parseImageRef` does, and REF_NOT_REPOSITORY when a tag or digest is present.
 */
export function parseRepository(input: string): RepositoryRef {
  const ref = parseImageRef(input);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new ImageRefError(
      'REF_NOT_REPOSITORY',
      `invalid repository "${truncateForMessage(input)}": expected a repository name without ":tag" or "@digest"`,
    );
  }
  return { registry: ref.registry, repository: ref.repository };
}
