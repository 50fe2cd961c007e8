import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPortcullisError, type Logger } from '../../core/index.js';
import {
  AUDIT_ACTIONS,
  MAX_AUDIT_LIMIT,
  type AuditAction,
  type AuditActorKind,
  type AuditEvent,
  type AuditLog,
  type AuditQuery,
  MAX_USER_AGENT,
} from '../audit/index.js';
import {
  ROBOT_PREFIX,
  authenticateRequest,
  type AccountStore,
  type RequestIdentity,
  type Subject,
  type TokenVerifier,
} from '../auth/index.js';
import { matchRoute, splitUrl } from './paths.js';

// Audit records from the HTTP layer, and `GET /api/v1/audit` (system administrators only).
// Nothing here reads the Authorization header except through authenticateRequest, and no
// record takes a header value or a query string: credentials cannot reach the log.

/** Who an audit record names. */
export type AuditActor = { readonly actorKind: AuditActorKind; readonly actor: string };

/** The actor of an authenticated (or anonymous) identity. */
export function actorOfIdentity(identity: Exclude<RequestIdentity, { kind: 'failed' }>): AuditActor {
  switch (identity.kind) {
    case 'anonymous':
      return { actorKind: 'anonymous', actor: 'anonymous' };
    case 'basic':
      return actorOfSubject(identity.subject);
    case 'bearer': {
      const sub = identity.claims.sub;
      if (sub === '') return { actorKind: 'anonymous', actor: 'anonymous' };
      return { actorKind: sub.startsWith(ROBOT_PREFIX) ? 'robot' : 'user', actor: sub };
    }
  }
}

/** The actor of a subject. */
export function actorOfSubject(subject: Subject): AuditActor {
  return subject.kind === 'anonymous'
    ? { actorKind: 'anonymous', actor: 'anonymous' }
    : { actorKind: subject.kind, actor: subject.name };
}

/** The actor named by a failed login: the name tried, if any. */
export function actorOfFailedLogin(username: string | undefined): AuditActor {
  if (username === undefined || username === '') return { actorKind: 'anonymous', actor: 'anonymous' };
  return { actorKind: username.startsWith(ROBOT_PREFIX) ? 'robot' : 'user', actor: username };
}

/** The request facts every record carries: time, client address, truncated User-Agent. */
export function requestFacts(req: FastifyRequest): Pick<AuditEvent, 'time' | 'client' | 'userAgent'> {
  const ua = req.headers['user-agent'];
  return {
    time: new Date().toISOString(),
    client: req.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, MAX_USER_AGENT) : undefined,
  };
}

/** Records an event; a failing audit write is logged, never turned into a failed request. */
export function recordAudit(audit: AuditLog | undefined, event: AuditEvent, logger?: Logger): void {
  if (audit === undefined) return;
  try {
    audit.record(event);
  } catch (err) {
    logger?.warn(`audit record failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** What the audit endpoint needs. */
export type AuditApiOptions = {
  readonly audit: AuditLog;
  readonly store: AccountStore;
  readonly verifier: TokenVerifier;
  readonly logger?: Logger | undefined;
};

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ code, message }] }));
}

/**
 * Reads the audit query parameters: actor, repository, action, since (ISO time), before (id),
 * limit (1..1000).
 * @returns the query, or a message saying what is wrong.
 */
export function parseAuditQuery(q: URLSearchParams): AuditQuery | string {
  const action = q.get('action') ?? undefined;
  if (action !== undefined && !AUDIT_ACTIONS.includes(action as AuditAction))
    return `action must be one of ${AUDIT_ACTIONS.join(', ')}`;
  const sinceRaw = q.get('since') ?? undefined;
  let since: string | undefined;
  if (sinceRaw !== undefined) {
    const t = Date.parse(sinceRaw);
    if (Number.isNaN(t)) return 'since must be an ISO 8601 time';
    since = new Date(t).toISOString();
  }
  const whole = (name: string, max: number): number | undefined | string => {
    const v = q.get(name) ?? undefined;
    if (v === undefined) return undefined;
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > max)
      return `${name} must be a whole number from 1 to ${max}`;
    return Number(v);
  };
  const limit = whole('limit', MAX_AUDIT_LIMIT);
  if (typeof limit === 'string') return limit;
  const before = whole('before', Number.MAX_SAFE_INTEGER);
  if (typeof before === 'string') return before;
  return {
    actor: q.get('actor') ?? undefined,
    repository: q.get('repository') ?? undefined,
    action: action as AuditAction | undefined,
    since,
    before,
    limit,
  };
}

/** Whether the identity is an enabled system administrator (tokens are looked up again). */
async function isSystemAdmin(
  store: AccountStore,
  identity: Exclude<RequestIdentity, { kind: 'failed' }>,
): Promise<boolean> {
  if (identity.kind === 'anonymous') return false;
  if (identity.kind === 'basic')
    return identity.subject.kind === 'user' && identity.subject.systemAdmin && !identity.subject.disabled;
  const sub = identity.claims.sub;
  if (sub === '' || sub.startsWith(ROBOT_PREFIX)) return false;
  const user = await store.getUser(sub);
  return user !== undefined && user.systemAdmin && !user.disabled;
}

/**
 * Registers `GET /api/v1/audit` (JSON `{events, next}`, newest first; `next` is the `before`
 * value of the following page) and `GET /api/v1/audit/export` (JSON lines, oldest first).
 * Basic or Bearer credentials of a system administrator; 401 without, 403 for anyone else.
 */
export function registerAuditApi(app: FastifyInstance, opts: AuditApiOptions): void {
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<AuditQuery | undefined> => {
    const auth = req.headers.authorization;
    const identity = await authenticateRequest(
      { store: opts.store, verifier: opts.verifier },
      typeof auth === 'string' ? auth : undefined,
    );
    const facts = requestFacts(req);
    if (identity.kind === 'failed' || identity.kind === 'anonymous') {
      if (identity.kind === 'failed') {
        recordAudit(
          opts.audit,
          {
            ...facts,
            ...actorOfFailedLogin(identity.username),
            action: 'login',
            result: 'failure',
            reason: identity.reason,
            status: 401,
          },
          opts.logger,
        );
      }
      void reply.header('www-authenticate', 'Basic realm="portcullis"');
      await sendError(reply, 401, 'UNAUTHORIZED', 'authentication required');
      return undefined;
    }
    if (!(await isSystemAdmin(opts.store, identity))) {
      recordAudit(
        opts.audit,
        {
          ...facts,
          ...actorOfIdentity(identity),
          action: 'denied',
          result: 'failure',
          reason: 'reading the audit log needs a system administrator',
          status: 403,
        },
        opts.logger,
      );
      await sendError(reply, 403, 'DENIED', 'reading the audit log needs a system administrator');
      return undefined;
    }
    const query = parseAuditQuery(splitUrl(req.url).query);
    if (typeof query === 'string') {
      await sendError(reply, 400, 'INVALID', query);
      return undefined;
    }
    return query;
  };
  app.get('/api/v1/audit', async (req, reply) => {
    const query = await guard(req, reply);
    if (query === undefined) return reply;
    try {
      const events = opts.audit.query(query);
      const limit = query.limit ?? 100;
      const last = events[events.length - 1];
      const next = events.length === limit && last !== undefined ? last.id : undefined;
      return await reply
        .type('application/json')
        .send(JSON.stringify(next === undefined ? { events } : { events, next }));
    } catch (err) {
      if (!isPortcullisError(err)) throw err;
      return sendError(reply, 400, 'INVALID', err.message);
    }
  });
  app.get('/api/v1/audit/export', async (req, reply) => {
    const query = await guard(req, reply);
    if (query === undefined) return reply;
    const lines = opts.audit.exportJsonLines({
      actor: query.actor,
      repository: query.repository,
      action: query.action,
      since: query.since,
    });
    // A generator stream: rows are read in pages as the client takes them, never all in memory.
    const body = Readable.from(
      (function* () {
        for (const line of lines) yield `${line}\n`;
      })(),
    );
    return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(body);
  });
}

/** The repository and reference a /v2 URL names, if any. */
function routeFacts(req: FastifyRequest): {
  route: ReturnType<typeof matchRoute>;
  repository?: string;
  reference?: string;
} {
  const route = matchRoute(splitUrl(req.url).pathname);
  if (route === undefined || route.kind === 'ping' || route.kind === 'catalog') return { route };
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const reference =
    route.kind === 'manifest'
      ? decode(route.reference)
      : route.kind === 'blob'
        ? decode(route.digest)
        : undefined;
  return { route, repository: route.name, ...(reference === undefined ? {} : { reference }) };
}

/** Records a /v2 request that authentication or authorization refused. */
export function auditDenial(
  audit: AuditLog | undefined,
  req: FastifyRequest,
  event: Pick<AuditEvent, 'actorKind' | 'actor' | 'action' | 'reason'>,
  status: number,
  logger?: Logger,
): void {
  if (audit === undefined) return;
  const { repository, reference } = routeFacts(req);
  recordAudit(
    audit,
    { ...requestFacts(req), ...event, repository, reference, result: 'failure', status },
    logger,
  );
}

/**
 * Records an allowed /v2 request when it is a push (manifest PUT), a pull (manifest GET) or a
 * delete (manifest or blob DELETE); blob transfers and HEADs are not recorded (one manifest
 * record stands for the image, and HEADs are the hot path).
 */
export function auditRequest(
  audit: AuditLog | undefined,
  req: FastifyRequest,
  reply: FastifyReply,
  actor: AuditActor,
  failure: string | undefined,
  logger?: Logger,
): void {
  if (audit === undefined) return;
  const method = req.method;
  if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return;
  const { route, repository, reference } = routeFacts(req);
  let action: AuditAction;
  if (route?.kind === 'manifest') action = method === 'GET' ? 'pull' : method === 'PUT' ? 'push' : 'delete';
  else if (route?.kind === 'blob' && method === 'DELETE') action = 'delete';
  else return;
  const digest = reply.getHeader('docker-content-digest');
  const status = reply.statusCode;
  recordAudit(
    audit,
    {
      ...requestFacts(req),
      ...actor,
      action,
      repository,
      reference,
      digest:
        typeof digest === 'string'
          ? digest
          : reference !== undefined && reference.includes(':')
            ? reference
            : undefined,
      result: status < 400 ? 'success' : 'failure',
      reason: status < 400 ? undefined : failure,
      status,
    },
    logger,
  );
}
