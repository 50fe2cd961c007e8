import { errorMessage, isPortcullisError } from '../../core/index.js';
import { authenticateBasic, grantAccess, type AuthenticationFailure } from './authenticate.js';
import type { Credentials } from './http-auth.js';
import { parseScopes, type AccessEntry } from './scope.js';
import type { AccountStore } from './store.js';
import { issueToken, type TokenSigner } from './token.js';
import { ANONYMOUS, type Subject } from './types.js';

// The decision behind `GET /token` (distribution docs/spec/auth/token.md), without HTTP: the
// route parses the header and query, calls this, and writes `status` and `body`. Outcomes are
// data so the route can audit logins and failures.

/** What the token route needs. */
export type TokenServiceOptions = {
  readonly store: AccountStore;
  readonly signer: TokenSigner;
  /** This registry's service name: the only `service` accepted, and the tokens' audience. */
  readonly service: string;
  readonly ttlSeconds?: number;
  /** Milliseconds since the epoch; default now. */
  readonly now?: number;
};

/** A token request: credentials from the Authorization header (or a password-grant form) and the query. */
export type TokenRequest = {
  readonly credentials: Credentials | undefined;
  /** The `service` parameter; undefined when absent (then this registry's is assumed). */
  readonly service: string | undefined;
  /** Every `scope` parameter, as sent. */
  readonly scopes: readonly string[];
};

/** The body of a successful token response; `token` and `access_token` carry the same JWT. */
export type TokenResponseBody = {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly issued_at: string;
};

/** The outcome of a token request. */
export type TokenOutcome =
  | {
      readonly ok: true;
      readonly status: 200;
      readonly body: TokenResponseBody;
      readonly subject: Subject;
      /** What was granted: a subset of what was asked. */
      readonly access: readonly AccessEntry[];
    }
  | {
      readonly ok: false;
      /** 400 for a bad request, 401 for failed authentication. */
      readonly status: 400 | 401;
      /** OAuth 2 style error code for the response body. */
      readonly error: 'invalid_request' | 'invalid_scope' | 'invalid_client';
      /** Safe to show the client: names no account and no secret. */
      readonly message: string;
      /** For the audit log: why authentication failed, and for which name. */
      readonly failure?: { readonly reason: AuthenticationFailure; readonly username: string };
    };

/**
 * Answers a token request: checks the service, parses the scopes, authenticates Basic
 * credentials (none: anonymous), and issues a token granting only what the subject may do.
 */
export async function answerTokenRequest(
  opts: TokenServiceOptions,
  req: TokenRequest,
): Promise<TokenOutcome> {
  if (req.service !== undefined && req.service !== opts.service) {
    return { ok: false, status: 400, error: 'invalid_request', message: 'unknown service' };
  }
  let scopes;
  try {
    scopes = parseScopes(req.scopes);
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return { ok: false, status: 400, error: 'invalid_scope', message: errorMessage(err) };
  }
  let subject: Subject = ANONYMOUS;
  if (req.credentials?.kind === 'bearer') {
    return {
      ok: false,
      status: 400,
      error: 'invalid_request',
      message: 'use Basic credentials to get a token',
    };
  }
  if (req.credentials !== undefined) {
    const auth = await authenticateBasic(
      opts.store,
      req.credentials.username,
      req.credentials.password,
      opts.now === undefined ? {} : { now: opts.now },
    );
    if (!auth.ok) {
      return {
        ok: false,
        status: 401,
        error: 'invalid_client',
        message: 'authentication failed',
        failure: { reason: auth.reason, username: auth.username },
      };
    }
    subject = auth.subject;
  }
  const access = await grantAccess(
    opts.store,
    subject,
    scopes,
    opts.now === undefined ? {} : { now: opts.now },
  );
  const issued = await issueToken(opts.signer, {
    subject: subject.kind === 'anonymous' ? '' : subject.name,
    audience: opts.service,
    access,
    ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  return {
    ok: true,
    status: 200,
    body: {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
    },
    subject,
    access,
  };
}
