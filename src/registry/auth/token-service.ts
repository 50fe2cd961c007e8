import { errorMessage, isPortcullisError } from '../../core/index.js';
import { authenticateBasic, grantAccess, type AuthenticationFailure } from './authenticate.js';
import type { Credentials } from './http-auth.js';
import { formatScope, parseScopes, type AccessEntry } from './scope.js';
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

// `POST /token` (distribution docs/spec/auth/oauth.md, RFC 6749 §4.3): the same decision, asked
// with an OAuth 2 form instead of a header and query. containerd posts first and falls back to
// GET only on 404/405, so the form is where its logins arrive.

/** Largest `POST /token` body read (the form holds a name, a password and a few scopes). */
export const MAX_TOKEN_FORM_BYTES = 16 * 1024;

// Bounds on single fields, so nothing unbounded reaches the account lookup or the audit log.
const MAX_FORM_FIELD = 4096;

/** An OAuth 2 error code of a token form (RFC 6749 §5.2). */
export type OAuthTokenError =
  'invalid_request' | 'invalid_grant' | 'invalid_scope' | 'invalid_client' | 'unsupported_grant_type';

/** A parsed token form: the request to answer, or why it cannot be answered. */
export type TokenFormParse =
  | {
      readonly ok: true;
      readonly request: TokenRequest;
    }
  | {
      readonly ok: false;
      readonly error: Extract<OAuthTokenError, 'invalid_request' | 'unsupported_grant_type'>;
      /** Safe to show the client: quotes no value of the form. */
      readonly message: string;
    };

const FORM_FIELDS = new Set([
  'grant_type',
  'service',
  'client_id',
  'access_type',
  'scope',
  'username',
  'password',
  'refresh_token',
]);

/**
 * Parses the `application/x-www-form-urlencoded` body of `POST /token`. Only
 * `grant_type=password` is answered; `refresh_token` (and any other grant) is
 * `unsupported_grant_type`, since this registry issues no refresh tokens and clients then log in
 * with the password again. `client_id` (which the spec requires) and `access_type` are accepted
 * but change nothing: without refresh tokens `offline` has nothing to add. Repeated parameters
 * are refused (RFC 6749 §3.2); unknown ones are ignored.
 */
export function parseTokenForm(body: string): TokenFormParse {
  const form = new URLSearchParams(body);
  const values = new Map<string, string>();
  for (const [key, value] of form) {
    if (!FORM_FIELDS.has(key)) continue;
    if (values.has(key)) return formError('invalid_request', `the ${key} parameter is given more than once`);
    if (value.length > MAX_FORM_FIELD)
      return formError('invalid_request', `the ${key} parameter is too long`);
    values.set(key, value);
  }
  const grant = values.get('grant_type');
  if (grant === undefined || grant === '') return formError('invalid_request', 'grant_type is required');
  if (grant === 'refresh_token') {
    return formError(
      'unsupported_grant_type',
      'this registry issues no refresh tokens; ask again with grant_type=password',
    );
  }
  if (grant !== 'password') {
    return formError('unsupported_grant_type', 'only grant_type=password is supported');
  }
  const username = values.get('username');
  const password = values.get('password');
  if (username === undefined || username === '' || password === undefined || password === '') {
    return formError('invalid_request', 'grant_type=password needs username and password');
  }
  const accessType = values.get('access_type');
  if (accessType !== undefined && accessType !== 'online' && accessType !== 'offline') {
    return formError('invalid_request', 'access_type must be online or offline');
  }
  const scope = values.get('scope');
  return {
    ok: true,
    request: {
      credentials: { kind: 'basic', username, password },
      service: values.get('service'),
      // Space-separated scopes in one parameter; parseScopes splits them.
      scopes: scope === undefined ? [] : [scope],
    },
  };
}

function formError(
  error: Extract<OAuthTokenError, 'invalid_request' | 'unsupported_grant_type'>,
  message: string,
): TokenFormParse {
  return { ok: false, error, message };
}

/** The body of a successful `POST /token` (oauth.md's response; `token_type` from RFC 6749). */
export type OAuthTokenResponseBody = {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly issued_at: string;
  /** What was granted, space-separated scopes; empty when nothing was. */
  readonly scope: string;
};

/** The OAuth 2 response body for a granted token request. */
export function toOAuthTokenResponse(outcome: Extract<TokenOutcome, { ok: true }>): OAuthTokenResponseBody {
  return {
    access_token: outcome.body.access_token,
    token_type: 'Bearer',
    expires_in: outcome.body.expires_in,
    issued_at: outcome.body.issued_at,
    scope: outcome.access.map((a) => formatScope(a)).join(' '),
  };
}
