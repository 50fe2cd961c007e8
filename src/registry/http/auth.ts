import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPortcullisError, type Logger } from '../../core/index.js';
import {
  ANONYMOUS,
  ROBOT_PREFIX,
  answerTokenRequest,
  authenticateRequest,
  authorizeRequest,
  filterCatalog,
  formatBearerChallenge,
  formatScope,
  loadProjectFacts,
  parseAuthorization,
  projectOfRepository,
  robotSubject,
  userSubject,
  type AccountStore,
  type Credentials,
  type ProjectFacts,
  type RequestIdentity,
  type ResourceScope,
  type Subject,
  type TokenSigner,
  type TokenVerifier,
} from '../auth/index.js';
import type { AuditEvent, AuditLog } from '../audit/index.js';
import { requiredAccess } from './access.js';
import { actorOfFailedLogin, actorOfIdentity, actorOfSubject, recordAudit, requestFacts } from './audit.js';
import type { ErrorBody } from './errors.js';
import {
  MAX_TOKEN_FORM_BYTES,
  parseTokenForm,
  toOAuthTokenResponse,
  type OAuthTokenError,
  type TokenOutcome,
  type TokenRequest,
} from '../auth/token-service.js';
import { readBounded } from './parse.js';
import { matchRoute, splitUrl } from './paths.js';

// Authentication and authorization in front of the distribution routes (distribution
// docs/spec/auth/token.md): every /v2 request is checked against what requiredAccess says it
// needs; callers without enough are answered 401 with a Bearer challenge naming the scope to
// ask /token for, or 403 DENIED when they authenticated with Basic and simply may not.

/** What the registry needs to authenticate and authorize requests. */
export type RegistryAuthConfig = {
  readonly store: AccountStore;
  readonly signer: TokenSigner;
  readonly verifier: TokenVerifier;
  /** The service name in challenges and tokens (the tokens' audience). */
  readonly service: string;
  /** Absolute URL of the token endpoint; default `<scheme>://<Host header>/token`. */
  readonly realm?: string;
  readonly ttlSeconds?: number;
  /** Where logins, token requests and denials are recorded; absent, they are only logged. */
  readonly audit?: AuditLog | undefined;
};

/** A request that may not go on: status, headers and the spec's error body. */
export type AuthDenial = {
  readonly status: 401 | 403;
  readonly challenge: string | undefined;
  readonly body: ErrorBody;
};

/** The outcome of checking a /v2 request: denied, or allowed with who asked. */
export type AuthCheck =
  | {
      readonly allowed: false;
      readonly denial: AuthDenial;
      /** The audit record's who, action and reason; absent for the ping's bare challenge. */
      readonly event?: Pick<AuditEvent, 'actorKind' | 'actor' | 'action' | 'reason'>;
    }
  | { readonly allowed: true; readonly identity: Exclude<RequestIdentity, { kind: 'failed' }> };

function realmOf(cfg: RegistryAuthConfig, req: FastifyRequest): string {
  if (cfg.realm !== undefined) return cfg.realm;
  return `${req.protocol}://${req.host}/token`;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Decides whether a /v2 request may go on. The ping needs any valid credentials (that is how
 * clients discover the token realm); the catalog needs none (it is filtered per caller);
 * everything else needs each action requiredAccess lists.
 * @throws RegistryError NAME_INVALID for a malformed repository name.
 */
export async function checkRegistryRequest(
  cfg: RegistryAuthConfig,
  req: FastifyRequest,
  logger?: Logger,
): Promise<AuthCheck> {
  const identity = await authenticateRequest(
    { store: cfg.store, verifier: cfg.verifier },
    header(req, 'authorization'),
  );
  const required = requiredAccess(req.method, req.url);
  const scopes: ResourceScope[] = required.map((r) => ({
    type: 'repository',
    name: r.name,
    actions: [...r.actions],
  }));
  const unauthorized = (
    message: string,
    error?: 'invalid_token' | 'insufficient_scope',
  ): Extract<AuthCheck, { allowed: false }> => ({
    allowed: false,
    denial: {
      status: 401,
      challenge: formatBearerChallenge({
        realm: realmOf(cfg, req),
        service: cfg.service,
        scopes,
        ...(error === undefined ? {} : { error }),
      }),
      body: { errors: [{ code: 'UNAUTHORIZED', message }] },
    },
  });
  if (identity.kind === 'failed') {
    // The reason goes to the log only; the client learns no more than "failed".
    logger?.info('registry authentication failed', {
      reason: identity.reason,
      username: identity.username,
    });
    const hadToken = header(req, 'authorization')?.toLowerCase().startsWith('bearer ') === true;
    return {
      ...unauthorized('authentication required', hadToken ? 'invalid_token' : undefined),
      event: { ...actorOfFailedLogin(identity.username), action: 'login', reason: identity.reason },
    };
  }
  const route = matchRoute(splitUrl(req.url).pathname);
  if (route?.kind === 'ping' && identity.kind === 'anonymous') {
    return unauthorized('authentication required');
  }
  for (const need of required) {
    for (const action of need.actions) {
      const decision = await authorizeRequest(cfg.store, identity, action, need.name);
      if (decision.allowed) continue;
      // Denials are audit records; until the audit log exists they go to the logger.
      logger?.info('registry access denied', { decision: decision.message, reason: decision.reason });
      const event = { ...actorOfIdentity(identity), action: 'denied', reason: decision.message } as const;
      if (identity.kind === 'anonymous') return { ...unauthorized('authentication required'), event };
      if (identity.kind === 'bearer') {
        return {
          ...unauthorized(`the token does not grant ${action} on ${need.name}`, 'insufficient_scope'),
          event,
        };
      }
      return {
        allowed: false,
        event,
        denial: {
          status: 403,
          challenge: undefined,
          body: { errors: [{ code: 'DENIED', message: `${action} on ${need.name} is not allowed` }] },
        },
      };
    }
  }
  return { allowed: true, identity };
}

/** The subject behind an identity, for filtering the catalog; a token's subject is looked up again. */
async function subjectOf(
  store: AccountStore,
  identity: Exclude<RequestIdentity, { kind: 'failed' }>,
): Promise<Subject> {
  switch (identity.kind) {
    case 'anonymous':
      return ANONYMOUS;
    case 'basic':
      return identity.subject;
    case 'bearer': {
      const sub = identity.claims.sub;
      if (sub === '') return ANONYMOUS;
      if (sub.startsWith(ROBOT_PREFIX)) {
        const creds = await store.getRobotCredentials(sub);
        return creds === undefined ? ANONYMOUS : robotSubject(creds.robot);
      }
      const user = await store.getUser(sub);
      return user === undefined ? ANONYMOUS : userSubject(user);
    }
  }
}

/** A filter keeping the repositories the caller may pull, for the catalog. */
export async function catalogFilter(
  cfg: RegistryAuthConfig,
  identity: Exclude<RequestIdentity, { kind: 'failed' }>,
): Promise<(repositories: readonly string[]) => Promise<string[]>> {
  const subject = await subjectOf(cfg.store, identity);
  const facts = new Map<string, ProjectFacts | undefined>();
  return async (repositories) => {
    // filterCatalog is synchronous; load the facts of every project on the page first.
    for (const r of repositories) {
      const project = projectOfRepository(r);
      if (project !== undefined && !facts.has(project))
        facts.set(project, await loadProjectFacts(cfg.store, subject, project));
    }
    return filterCatalog(subject, repositories, (p) => facts.get(p));
  };
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Writes a denial: status, `WWW-Authenticate` when there is a challenge, the error body. */
export function sendDenial(reply: FastifyReply, denial: AuthDenial): FastifyReply {
  if (denial.challenge !== undefined) void reply.header('www-authenticate', denial.challenge);
  return sendJson(reply, denial.status, denial.body);
}

/**
 * `GET /token` and `POST /token`: Docker token authentication. GET takes Basic credentials (or
 * none, for anonymous) and the `service` and `scope` query parameters (token.md); POST takes the
 * OAuth 2 password grant as a form (oauth.md). Both answer a JWT granting what the caller may do,
 * and both record the login or its failure in the audit log.
 */
export async function handleTokenRequest(
  cfg: RegistryAuthConfig,
  req: FastifyRequest,
  reply: FastifyReply,
  logger?: Logger,
): Promise<FastifyReply> {
  void reply.header('cache-control', 'no-store');
  if (req.method === 'POST') return await handleTokenForm(cfg, req, reply, logger);
  const query = splitUrl(req.url).query;
  let credentials: Credentials | undefined;
  try {
    credentials = parseAuthorization(header(req, 'authorization'));
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return sendJson(reply, 400, {
      errors: [{ code: 'UNAUTHORIZED', message: 'malformed Authorization header' }],
    });
  }
  const outcome = await answerAndAudit(
    cfg,
    req,
    { credentials, service: query.get('service') ?? undefined, scopes: query.getAll('scope') },
    logger,
  );
  if (outcome.ok) return sendJson(reply, 200, outcome.body);
  return sendJson(reply, outcome.status, {
    errors: [
      {
        code: outcome.status === 401 ? 'UNAUTHORIZED' : 'DENIED',
        message: outcome.message,
        detail: { error: outcome.error },
      },
    ],
  });
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** `POST /token`: the form in, an OAuth 2 response (RFC 6749 §5.1, §5.2) out. */
async function handleTokenForm(
  cfg: RegistryAuthConfig,
  req: FastifyRequest,
  reply: FastifyReply,
  logger?: Logger,
): Promise<FastifyReply> {
  const oauthError = (status: number, error: OAuthTokenError, description: string) =>
    sendJson(reply, status, { error, error_description: description });
  const type = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) {
    req.raw.resume();
    return await oauthError(400, 'invalid_request', `the body must be ${FORM_TYPE}`);
  }
  const tooLarge = () => {
    // Not worth reading further: the connection closes once the answer is sent.
    void reply.header('connection', 'close');
    return oauthError(413, 'invalid_request', `the form is larger than ${MAX_TOKEN_FORM_BYTES} bytes`);
  };
  if (Number(header(req, 'content-length') ?? '0') > MAX_TOKEN_FORM_BYTES) {
    req.raw.resume();
    return await tooLarge();
  }
  let body: Buffer;
  try {
    body = await readBounded(req.raw, MAX_TOKEN_FORM_BYTES);
  } catch (err) {
    // readBounded's only refusal is the size (named for its first use, manifests).
    if (!isPortcullisError(err) || err.code !== 'MANIFEST_TOO_LARGE') throw err;
    return await tooLarge();
  }
  const form = parseTokenForm(body.toString('utf8'));
  if (!form.ok) return await oauthError(400, form.error, form.message);
  const outcome = await answerAndAudit(cfg, req, form.request, logger);
  if (outcome.ok) return sendJson(reply, 200, toOAuthTokenResponse(outcome));
  // A wrong name or password is the grant failing (RFC 6749 §5.2: invalid_grant, 400).
  if (outcome.failure !== undefined) return await oauthError(400, 'invalid_grant', outcome.message);
  return await oauthError(outcome.status, outcome.error, outcome.message);
}

/** Answers a token request and records it: what was granted (scopes name no secret), or why not. */
async function answerAndAudit(
  cfg: RegistryAuthConfig,
  req: FastifyRequest,
  request: TokenRequest,
  logger?: Logger,
): Promise<TokenOutcome> {
  const outcome = await answerTokenRequest(
    {
      store: cfg.store,
      signer: cfg.signer,
      service: cfg.service,
      ...(cfg.ttlSeconds === undefined ? {} : { ttlSeconds: cfg.ttlSeconds }),
    },
    request,
  );
  const facts = requestFacts(req);
  if (outcome.ok) {
    const granted = outcome.access.map((a) => formatScope(a)).join(' ');
    recordAudit(
      cfg.audit,
      {
        ...facts,
        ...actorOfSubject(outcome.subject),
        action: 'token',
        repository: outcome.access.find((a) => a.type === 'repository')?.name,
        result: 'success',
        reason: granted === '' ? 'no access granted' : `granted ${granted}`,
        status: 200,
      },
      logger,
    );
    return outcome;
  }
  const credentials = request.credentials;
  recordAudit(
    cfg.audit,
    {
      ...facts,
      ...actorOfFailedLogin(
        outcome.failure?.username ?? (credentials?.kind === 'basic' ? credentials.username : undefined),
      ),
      action: outcome.failure === undefined ? 'token' : 'login',
      result: 'failure',
      reason: outcome.failure?.reason ?? outcome.message,
      status: outcome.status,
    },
    logger,
  );
  if (outcome.failure !== undefined) {
    logger?.info('registry login failed', {
      reason: outcome.failure.reason,
      username: outcome.failure.username,
    });
  }
  return outcome;
}
