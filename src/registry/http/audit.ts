import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../core/index.js';
import {
  type AuditAction,
  type AuditActorKind,
  type AuditEvent,
  type AuditLog,
  MAX_USER_AGENT,
} from '../audit/index.js';
import { ROBOT_PREFIX, type RequestIdentity, type Subject } from '../auth/index.js';
import { matchRoute, splitUrl } from './paths.js';

// Audit records from the HTTP layer (the API that reads them is api/audit.ts). Nothing here
// reads the Authorization header, and no record takes a header value or a query string:
// credentials cannot reach the log.

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
