import { truncateForMessage } from '../../core/index.js';
import { isValidRepositoryPath } from '../../imageref/index.js';
import { RegistryError } from '../errors.js';

/** A distribution endpoint with its raw (undecoded) path parts. */
export type Route =
  | { readonly kind: 'ping' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'uploads'; readonly name: string; readonly id: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

// Paths of the distribution spec ("Endpoints"); the name is everything before the last
// keyword, checked against the name grammar afterwards.
const ROUTES: readonly [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: 'ping' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] ?? '' })],
  [
    /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    (m) => ({ kind: 'manifest', name: m[1] ?? '', reference: m[2] ?? '' }),
  ],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/, (m) => ({ kind: 'uploads', name: m[1] ?? '', id: m[2] ?? '' })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1] ?? '', digest: m[2] ?? '' })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1] ?? '', digest: m[2] ?? '' })],
];

/** The endpoint a path names, or undefined. */
export function matchRoute(pathname: string): Route | undefined {
  for (const [re, make] of ROUTES) {
    const m = re.exec(pathname);
    if (m) return make(m);
  }
  return undefined;
}

/**
 * Checks a repository name against the spec's grammar. The path is matched undecoded, so `%2e%2e` or `%2f` can never form a valid name.
 * @throws RegistryError NAME_INVALID.
 */
export function checkName(name: string): string {
  if (!isValidRepositoryPath(name) || name !== name.toLowerCase()) {
    throw new RegistryError(
      'NAME_INVALID',
      `invalid repository name "${truncateForMessage(name, 100)}": expected lower-case path components as in the distribution spec`,
    );
  }
  return name;
}

/**
 * Splits a request target into its raw path and its query. By hand: WHATWG URL parsing would
 * resolve "../" and "%2e%2e" before the name check sees them.
 */
export function splitUrl(url: string): { pathname: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return {
    pathname: at < 0 ? url : url.slice(0, at),
    query: new URLSearchParams(at < 0 ? '' : url.slice(at + 1)),
  };
}
