import { truncateForMessage } from '../core/index.js';
import { ImageRefError } from './errors.js';
import { DOMAIN_RE } from './grammar.js';
import {
  DOCKER_HUB_REGISTRY,
  isValidRepositoryPath,
  MAX_REFERENCE_LENGTH,
  tryParseImageRef,
} from './parse.js';
import type { RepositoryRef } from './types.js';

/**
 * A registry or repository prefix, normalized: `registry` is a lower-case host[:port] with
 * Docker Hub's aliases folded into `docker.io`; `path` is a repository path prefix, or `''`
 * for the whole registry.
 */
export type RepositoryPrefix = {
  readonly registry: string;
  readonly path: string;
};

// Names Docker Hub is reached under; references written with any of them mean the same images.
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Host names compare case-insensitively; Docker Hub's aliases compare equal. */
function canonicalRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_REGISTRY : lower;
}

// distribution's rule for the first component of a name: a registry when it has a "." or
// ":", is "localhost", or has upper case (a repository path never may).
function looksLikeRegistry(component: string): boolean {
  return (
    component === 'localhost' ||
    component.includes('.') ||
    component.includes(':') ||
    component.startsWith('[') ||
    component !== component.toLowerCase()
  );
}

type PrefixOutcome =
  { readonly ok: true; readonly prefix: RepositoryPrefix } | { readonly ok: false; readonly why: string };

function invalid(why: string): PrefixOutcome {
  return { ok: false, why };
}

/**
 * The whole parse, returning its problem instead of throwing. The rules:
 * - a first component that looks like a host (`ghcr.io`, `localhost:5000`, `[::1]:5000`) is the
 *   registry; otherwise the prefix is on Docker Hub, exactly as in a reference;
 * - without a trailing slash the prefix is normalized like a reference, so `nginx` and
 *   `docker.io/nginx` both mean `docker.io/library/nginx`;
 * - a trailing slash marks a namespace and is never expanded: `docker.io/acme/` is the
 *   organisation `acme`, and `my-registry.io/` the whole registry (as is `my-registry.io`);
 *   `docker.io/library` is the official images' namespace with or without the slash.
 */
function parse(input: string): PrefixOutcome {
  if (input === '') return invalid('the prefix is empty');
  if (input.length > MAX_REFERENCE_LENGTH) {
    return invalid(`the prefix is longer than ${MAX_REFERENCE_LENGTH} characters`);
  }
  if (input.includes('@')) return invalid('a prefix names a registry or repository, not a digest');
  const namespace = input.endsWith('/');
  const body = namespace ? input.slice(0, -1) : input;
  if (body === '') return invalid('the prefix is empty');

  const slash = body.indexOf('/');
  const first = slash < 0 ? body : body.slice(0, slash);
  let registry = DOCKER_HUB_REGISTRY;
  let path = body;
  if (looksLikeRegistry(first)) {
    if (!DOMAIN_RE.test(first)) {
      return invalid(
        `"${truncateForMessage(first, 80)}" is not a valid registry host[:port] (a prefix takes no tag, digest or wildcard)`,
      );
    }
    registry = first;
    path = slash < 0 ? '' : body.slice(slash + 1);
  }
  registry = canonicalRegistry(registry);
  if (path !== '' && !isValidRepositoryPath(path)) {
    return invalid(
      `repository path "${truncateForMessage(path, 80)}" is not valid: lower-case components joined by "/", ` +
        'with no tag, digest or wildcard',
    );
  }
  // Docker Hub's official images live under library/, and a reference `nginx` means
  // `docker.io/library/nginx`; a prefix written the same way must mean the same repository.
  // `library` itself is the official-images namespace (no image is called library/library).
  if (
    registry === DOCKER_HUB_REGISTRY &&
    !namespace &&
    path !== '' &&
    path !== 'library' &&
    !path.includes('/')
  ) {
    path = `library/${path}`;
  }
  return { ok: true, prefix: { registry, path } };
}

/**
 * Parses a registry or repository prefix (`ghcr.io/acme`, `my-registry.io/`, `localhost:5000`,
 * `nginx`) for {@link matchesRepositoryPrefix}.
 *
 * @throws ImageRefError REF_INVALID_FORMAT naming the prefix and what is wrong with it.
 */
export function parseRepositoryPrefix(input: string): RepositoryPrefix {
  const outcome = parse(input);
  if (!outcome.ok) {
    throw new ImageRefError(
      'REF_INVALID_FORMAT',
      `invalid registry or repository prefix "${truncateForMessage(input)}": ${outcome.why} ` +
        '(for example ghcr.io/acme, my-registry.io/, localhost:5000 or docker.io/library/nginx)',
    );
  }
  return outcome.prefix;
}

/** Like {@link parseRepositoryPrefix}, but returns undefined for an invalid prefix. Never throws. */
export function tryParseRepositoryPrefix(input: string): RepositoryPrefix | undefined {
  const outcome = parse(input);
  return outcome.ok ? outcome.prefix : undefined;
}

/**
 * True when the image `reference` lies under `prefix`, compared after normalization and only on
 * path boundaries: `ghcr.io/acme` admits `ghcr.io/acme/app` and `ghcr.io/acme` but never
 * `ghcr.io/acmecorp/app`; `my-registry.io` never admits `my-registry.io.evil.com/x` or
 * `my-registry.io-evil/x`; ports are part of the registry (`localhost:5000` is not `localhost`).
 * A reference or prefix that does not parse matches nothing, so a typo fails closed.
 */
export function matchesRepositoryPrefix(
  reference: string | RepositoryRef,
  prefix: string | RepositoryPrefix,
): boolean {
  const ref = typeof reference === 'string' ? tryParseImageRef(reference) : reference;
  const pre = typeof prefix === 'string' ? tryParseRepositoryPrefix(prefix) : prefix;
  if (ref === undefined || pre === undefined) return false;
  if (canonicalRegistry(ref.registry) !== canonicalRegistry(pre.registry)) return false;
  if (pre.path === '') return true;
  return ref.repository === pre.path || ref.repository.startsWith(`${pre.path}/`);
}
