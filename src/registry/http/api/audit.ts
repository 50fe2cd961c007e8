import { Readable } from 'node:stream';
import { z } from 'zod';
import { AUDIT_ACTIONS, DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, type AuditAction } from '../../audit/index.js';
import { ApiError } from './errors.js';
import { defineApiRoute, type ApiRoute } from './route.js';
import { apiComponent } from './schema.js';

// /api/v1/audit: the audit log for system administrators, newest first in pages, or all of it
// as JSON lines. The log itself never holds a credential (see ../audit.ts), so neither do these.

const wholeNumber = (name: string, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, `expected a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `${name} must be at least 1`).max(max, `${name} must be at most ${max}`));

const filters = {
  actor: z.string().max(200).optional().describe('A user or robot name, or anonymous.'),
  repository: z.string().max(255).optional().describe('A repository, such as team/app.'),
  action: z
    .enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]])
    .optional()
    .describe('push, pull, delete, login, token, denied or manage (a change through this API).'),
  since: z
    .string()
    .max(64)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const t = Date.parse(s);
      if (Number.isNaN(t)) {
        ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time' });
        return z.NEVER;
      }
      return new Date(t).toISOString();
    })
    .describe('Events at or after this ISO 8601 time.'),
};

const auditQuerySchema = z.strictObject({
  ...filters,
  before: wholeNumber('before', Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('Events with an id below this: the next value of the previous page.'),
  limit: wholeNumber('limit', MAX_AUDIT_LIMIT)
    .optional()
    .describe(`At most this many events (default ${DEFAULT_AUDIT_LIMIT}).`),
});

const auditExportQuerySchema = z.strictObject(filters);

const auditEventSchema = apiComponent(
  z.object({
    id: z.number().int(),
    time: z.string(),
    actorKind: z.enum(['user', 'robot', 'anonymous']),
    actor: z.string(),
    action: z.enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]]),
    repository: z.string().optional(),
    reference: z.string().optional(),
    digest: z.string().optional(),
    target: z
      .string()
      .optional()
      .describe('What a manage event changed, such as user:alice password changed.'),
    result: z.enum(['success', 'failure']),
    reason: z.string().optional(),
    client: z.string(),
    userAgent: z.string().optional(),
    status: z.number().int().optional(),
  }),
  'AuditEvent',
  'One audit record; it never holds a password, token or header value.',
);

const auditPageSchema = z.strictObject({
  events: z.array(auditEventSchema),
  next: z.number().int().optional().describe('The before value of the following page; absent on the last.'),
});

/** The audit routes (registered when the registry has an audit log). */
export const AUDIT_ROUTES: readonly ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/api/v1/audit',
    operationId: 'queryAudit',
    summary: 'Read the audit log, newest first',
    tag: 'audit',
    access: 'system-admin',
    query: auditQuerySchema,
    responses: {
      200: { description: 'A page of events', schema: auditPageSchema },
    },
    handler: ({ query }, ctx) => {
      const audit = ctx.audit;
      if (audit === undefined) throw new ApiError('NOT_FOUND', 'this registry keeps no audit log');
      const events = audit.query(query);
      const limit = query.limit ?? DEFAULT_AUDIT_LIMIT;
      const last = events[events.length - 1];
      const next = events.length === limit && last !== undefined ? last.id : undefined;
      return Promise.resolve({ status: 200, body: next === undefined ? { events } : { events, next } });
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/api/v1/audit/export',
    operationId: 'exportAudit',
    summary: 'Export the audit log as JSON lines, oldest first',
    tag: 'audit',
    access: 'system-admin',
    query: auditExportQuerySchema,
    responses: {
      200: { description: 'One AuditEvent per line', contentType: 'application/x-ndjson' },
    },
    handler: ({ query, reply }, ctx) => {
      const audit = ctx.audit;
      if (audit === undefined) throw new ApiError('NOT_FOUND', 'this registry keeps no audit log');
      const lines = audit.exportJsonLines(query);
      // A generator stream: rows are read in pages as the client takes them, never all in memory.
      const body = Readable.from(
        (function* () {
          for (const line of lines) yield `${line}\n`;
        })(),
      );
      return Promise.resolve({
        sent: reply.type('application/x-ndjson').header('cache-control', 'no-store').send(body),
      });
    },
  }),
];
