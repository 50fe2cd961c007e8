import { RegistryAuthError } from './errors.js';
import { formatScope, type ResourceScope } from './scope.js';

// The header side of authentication: reading `Authorization` and writing `WWW-Authenticate`
// (RFC 7617 Basic, RFC 6750 Bearer, distribution docs/spec/auth/token.md challenges).

/** Longest `Authorization` header looked at. */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024;

/** Credentials of an `Authorization` header. */
export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

function malformed(why: string): RegistryAuthError {
  // Never quote the header: it carries the secret.
  return new RegistryAuthError('CREDENTIALS_MALFORMED', `malformed Authorization header: ${why}`);
}

const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const TOKEN68_RE = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads an `Authorization` header: `Basic base64(user:password)` or `Bearer TOKEN`. Returns
 * undefined when the header is absent. Throws CREDENTIALS_MALFORMED for another scheme, bad
 * base64, a missing colon, control characters, or more than {@link MAX_AUTHORIZATION_LENGTH}.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  if (header.length > MAX_AUTHORIZATION_LENGTH)
    throw malformed(`longer than ${MAX_AUTHORIZATION_LENGTH} characters`);
  const space = header.indexOf(' ');
  if (space <= 0) throw malformed('expected "Basic CREDENTIALS" or "Bearer TOKEN"');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (!TOKEN68_RE.test(value)) throw malformed('the bearer token has characters outside token68');
    return { kind: 'bearer', token: value };
  }
  if (scheme !== 'basic') throw malformed('only the Basic and Bearer schemes are accepted');
  if (!B64_RE.test(value) || value.length % 4 !== 0) throw malformed('Basic credentials are not base64');
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw malformed('Basic credentials need "user:password"');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded) || decoded.includes('\ufffd')) {
    throw malformed('Basic credentials contain control characters or invalid UTF-8');
  }
  return { kind: 'basic', username, password };
}

function quote(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new RegistryAuthError('CREDENTIALS_MALFORMED', 'challenge parameter contains control characters');
  }
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * A Bearer challenge: `Bearer realm="…",service="…",scope="…"`, with `error="insufficient_scope"`
 * (or another RFC 6750 error) when a token was presented but did not suffice. Several scopes
 * are joined by spaces inside one `scope` parameter.
 */
export function formatBearerChallenge(opts: {
  readonly realm: string;
  readonly service: string;
  readonly scopes?: readonly ResourceScope[];
  readonly error?: 'invalid_token' | 'insufficient_scope';
}): string {
  const parts = [`realm=${quote(opts.realm)}`, `service=${quote(opts.service)}`];
  const scopes = opts.scopes ?? [];
  if (scopes.length > 0) parts.push(`scope=${quote(scopes.map(formatScope).join(' '))}`);
  if (opts.error !== undefined) parts.push(`error=${quote(opts.error)}`);
  return `Bearer ${parts.join(',')}`;
}

/** A Basic challenge: `Basic realm="…",charset="UTF-8"`. */
export function formatBasicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)},charset="UTF-8"`;
}
