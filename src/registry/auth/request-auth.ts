import { isPortcullisError } from '../../core/index.js';
import { authenticateBasic, checkAccess, type AuthenticationFailure } from './authenticate.js';
import { makeDecision, type AuthorizeOptions, type Decision } from './authorize.js';
import type { RegistryAuthErrorCode } from './errors.js';
import { parseAuthorization } from './http-auth.js';
import type { AccountStore } from './store.js';
import { accessAllows, verifyToken, type TokenClaims, type TokenVerifier } from './token.js';
import { ROBOT_PREFIX } from './names.js';
import { ANONYMOUS, type RepositoryAction, type Subject } from './types.js';

// Who sent a registry request, from its Authorization header, and whether they may do what
// they ask. Basic credentials are checked against the store on each request (simple clients);
// Bearer tokens are trusted for their short life and decide from their access claim alone.

/** The identity behind one request. */
export type RequestIdentity =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'basic'; readonly subject: Subject }
  | { readonly kind: 'bearer'; readonly claims: TokenClaims }
  | {
      readonly kind: 'failed';
      /** For the audit log. */
      readonly reason: AuthenticationFailure | RegistryAuthErrorCode;
      /** The name that tried, when Basic credentials were readable. */
      readonly username: string | undefined;
    };

/**
 * Reads and checks a request's `Authorization` header. Never throws for bad credentials:
 * malformed headers, wrong passwords and invalid tokens come back as `failed` with a reason.
 */
export async function authenticateRequest(
  deps: { readonly store: AccountStore; readonly verifier: TokenVerifier },
  authorization: string | undefined,
  options: AuthorizeOptions = {},
): Promise<RequestIdentity> {
  let creds;
  try {
    creds = parseAuthorization(authorization);
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return { kind: 'failed', reason: 'CREDENTIALS_MALFORMED', username: undefined };
  }
  if (creds === undefined) return { kind: 'anonymous' };
  if (creds.kind === 'basic') {
    const r = await authenticateBasic(deps.store, creds.username, creds.password, options);
    return r.ok
      ? { kind: 'basic', subject: r.subject }
      : { kind: 'failed', reason: r.reason, username: r.username };
  }
  try {
    const claims = await verifyToken(
      deps.verifier,
      creds.token,
      options.now === undefined ? {} : { now: options.now },
    );
    return { kind: 'bearer', claims };
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return { kind: 'failed', reason: err.code as RegistryAuthErrorCode, username: undefined };
  }
}

/**
 * Decides a repository action for a request identity: Basic and anonymous through the store
 * and the role table, Bearer by the token's access claim. Failed identities are not accepted:
 * the caller answers 401 with a challenge before asking.
 */
export async function authorizeRequest(
  store: AccountStore,
  identity: Exclude<RequestIdentity, { kind: 'failed' }>,
  action: RepositoryAction,
  repository: string,
  options: AuthorizeOptions = {},
): Promise<Decision> {
  switch (identity.kind) {
    case 'anonymous':
      return checkAccess(store, ANONYMOUS, action, repository, options);
    case 'basic':
      return checkAccess(store, identity.subject, action, repository, options);
    case 'bearer': {
      const sub = identity.claims.sub;
      const who = sub === '' ? 'anonymous' : sub.startsWith(ROBOT_PREFIX) ? `robot ${sub}` : `user ${sub}`;
      const allowed = accessAllows(identity.claims.access, 'repository', repository, action);
      return makeDecision(
        allowed,
        allowed ? 'token-access' : 'token-insufficient',
        who,
        action,
        repository,
        allowed ? 'granted by the bearer token' : 'the bearer token does not grant it',
      );
    }
  }
}
