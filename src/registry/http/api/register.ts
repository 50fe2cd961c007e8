import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../../core/index.js';
import type { AuditLog } from '../../audit/index.js';
import type { AccountStore, TokenVerifier } from '../../auth/index.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { actorOfSubject, recordAudit, requestFacts } from '../audit.js';
import { AUDIT_ROUTES } from './audit.js';
import {
  authenticateCaller,
  createApiContext,
  isActiveSystemAdmin,
  type ApiContext,
  type Caller,
} from './context.js';
import { ApiError, apiErrorResponse } from './errors.js';
import { MAX_API_BODY_BYTES } from './limits.js';
import { buildOpenApiDocument } from './openapi.js';
import { PROJECT_ROUTES } from './projects.js';
import { defineApiRoute, toFastifyPath, type ApiResult, type ApiRoute } from './route.js';
import { USER_ROUTES } from './users.js';

// The management API under /api/v1 as one fastify plugin: its own JSON body parser (the
// distribution routes leave bodies unread), its own error handler and 404, and every route of
// the table behind the same authentication. The server layer adds routes through extensions,
// so scanning, signing and policies stay out of the registry capability.

/** The prefix of every management route. */
export const API_PREFIX = '/api/v1';

/** More routes for the API, from outside the registry capability (scan results, signatures, gates). */
export type ApiExtension = {
  /** Names the extension in logs. */
  readonly name: string;
  /** Routes under /api/v1, built with defineApiRoute; documented with the others. */
  readonly routes: readonly ApiRoute[];
};

/** What the management API needs. */
export type ManagementApiOptions = {
  readonly store: AccountStore;
  readonly verifier: TokenVerifier;
  readonly metadata: MetadataStore;
  /** The audit log; without it the audit routes are not registered and refusals are only logged. */
  readonly audit?: AuditLog | undefined;
  readonly logger?: Logger | undefined;
  readonly extensions?: readonly ApiExtension[] | undefined;
};

const OPENAPI_ROUTE = defineApiRoute({
  method: 'GET',
  path: `${API_PREFIX}/openapi.json`,
  operationId: 'getOpenApiDocument',
  summary: 'This OpenAPI document',
  tag: 'meta',
  access: 'public',
  responses: { 200: { description: 'The OpenAPI 3.1 document', schema: z.looseObject({}) } },
  handler: (_req, ctx) => Promise.resolve({ status: 200, body: ctx.document }),
});

/** Every route the management API registers with `opts` (the table the document is written from). */
export function managementRoutes(opts: Pick<ManagementApiOptions, 'audit' | 'extensions'>): ApiRoute[] {
  return [
    OPENAPI_ROUTE,
    ...USER_ROUTES,
    ...PROJECT_ROUTES,
    ...(opts.audit === undefined ? [] : AUDIT_ROUTES),
    ...(opts.extensions ?? []).flatMap((e) => e.routes),
  ];
}

function send(reply: FastifyReply, result: ApiResult): FastifyReply {
  if ('sent' in result) return result.sent;
  void reply.code(result.status).header('cache-control', 'no-store');
  if (result.body === undefined) return reply.send();
  return reply.type('application/json').send(JSON.stringify(result.body));
}

/**
 * Who calls, and whether the route lets them in before anything else happens: run on request,
 * so a body is never read for a caller who may not send it.
 * @throws ApiError UNAUTHORIZED or DENIED (both recorded in the audit log).
 */
async function admit(
  route: ApiRoute,
  opts: ManagementApiOptions,
  ctx: ApiContext,
  req: FastifyRequest,
): Promise<Caller> {
  const caller = await authenticateCaller(
    {
      store: opts.store,
      verifier: opts.verifier,
      metadata: opts.metadata,
      audit: opts.audit,
      logger: opts.logger,
    },
    req,
  );
  if (route.access !== 'public') {
    if (caller.subject.kind === 'anonymous') {
      // A denial like any other (issue 9: every denial audited), as the /v2 routes record theirs.
      recordAudit(
        opts.audit,
        {
          ...requestFacts(req),
          ...actorOfSubject(caller.subject),
          action: 'denied',
          result: 'failure',
          reason: 'authentication required',
          status: 401,
        },
        opts.logger,
      );
      throw new ApiError('UNAUTHORIZED', 'authentication required');
    }
    if (caller.subject.kind === 'robot' && !route.robots)
      throw ctx.deny(req, caller, 'robots may not use the management API');
    if (route.access === 'system-admin' && !isActiveSystemAdmin(caller.subject))
      throw ctx.deny(req, caller, `only system administrators may ${route.summary.toLowerCase()}`);
  }
  return caller;
}

/**
 * Registers the management API on `app` (as an encapsulated plugin: its body parser and error
 * handler apply to /api/v1 only). Loaded when the app becomes ready.
 */
export function registerManagementApi(app: FastifyInstance, opts: ManagementApiOptions): void {
  const routes = managementRoutes(opts);
  const document = buildOpenApiDocument(routes);
  const ctx = createApiContext(
    {
      store: opts.store,
      verifier: opts.verifier,
      metadata: opts.metadata,
      audit: opts.audit,
      logger: opts.logger,
    },
    document,
  );
  void app.register(
    (scope, _options, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        'application/json',
        { parseAs: 'string', bodyLimit: MAX_API_BODY_BYTES },
        (_req: FastifyRequest, body: string | Buffer): Promise<unknown> => {
          try {
            return Promise.resolve(
              JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown,
            );
          } catch {
            return Promise.reject(new ApiError('INVALID', 'body: not valid JSON'));
          }
        },
      );
      scope.setErrorHandler((err, req, reply) => {
        const { status, body } = apiErrorResponse(err);
        if (status >= 500)
          opts.logger?.warn(
            `management API request failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        if (status === 401) void reply.header('www-authenticate', 'Basic realm="portcullis"');
        req.raw.resume();
        return reply.code(status).type('application/json').send(JSON.stringify(body));
      });
      scope.setNotFoundHandler((req, reply) => {
        req.raw.resume();
        const body = apiErrorResponse(new ApiError('NOT_FOUND', 'no such management API route')).body;
        return reply.code(404).type('application/json').send(JSON.stringify(body));
      });
      const callers = new WeakMap<FastifyRequest, Caller>();
      for (const route of routes) {
        if (!route.path.startsWith(`${API_PREFIX}/`))
          throw new Error(`management route ${route.path} is outside ${API_PREFIX}`);
        scope.route({
          method: route.method,
          url: toFastifyPath(route.path.slice(API_PREFIX.length)),
          exposeHeadRoute: false,
          onRequest: async (req) => {
            callers.set(req, await admit(route, opts, ctx, req));
          },
          handler: async (req, reply) => {
            const caller = callers.get(req);
            if (caller === undefined) throw new Error('management API request without an admitted caller');
            return send(reply, await route.run(req, reply, caller, ctx));
          },
        });
      }
      done();
    },
    { prefix: API_PREFIX },
  );
}
