import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPortcullisError, truncateForMessage } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import { catalogFilter, checkRegistryRequest, handleTokenRequest, sendDenial } from './auth.js';
import { actorOfIdentity, auditDenial, auditRequest, type AuditActor } from './audit.js';
import { deleteBlob, getBlob } from './blobs.js';
import { catalog, referrers, tags, type CatalogFilter } from './discovery.js';
import { ERROR_RESPONSES, type ErrorBody } from './errors.js';
import { GateRefusedError } from './gating.js';
import type { HookActor } from './hooks.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import type { RegistryRoutesOptions } from './options.js';
import { checkDigest } from './parse.js';
import { checkName, matchRoute, splitUrl } from './paths.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './uploads.js';

export type { RegistryRoutesOptions } from './options.js';

const MAX_URL_LENGTH = 8192;
const JSON_TYPE = 'application/json';

/** Routes a request to its endpoint's handler. */
async function dispatch(
  opts: RegistryRoutesOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  filter: CatalogFilter | undefined,
  actor: HookActor | undefined,
): Promise<FastifyReply> {
  if (req.url.length > MAX_URL_LENGTH) throw new RegistryError('NAME_INVALID', 'the request URL is too long');
  const { pathname, query: q } = splitUrl(req.url);
  const route = matchRoute(pathname);
  const method = req.method;
  if (route === undefined)
    throw new RegistryError(
      'UNSUPPORTED',
      `no such endpoint: ${method} ${truncateForMessage(pathname, 100)}`,
    );
  switch (route.kind) {
    case 'ping':
      if (method !== 'GET' && method !== 'HEAD') break;
      return reply.code(200).type(JSON_TYPE).send('{}');
    case 'catalog':
      if (method !== 'GET') break;
      return catalog(opts, reply, q, filter);
    case 'tags':
      if (method !== 'GET') break;
      return tags(opts, reply, checkName(route.name), q);
    case 'manifest': {
      const name = checkName(route.name);
      if (method === 'GET' || method === 'HEAD')
        return getManifest(opts, req, reply, name, route.reference, actor);
      if (method === 'PUT') return putManifest(opts, req, reply, name, route.reference, q, actor);
      if (method === 'DELETE') return deleteManifest(opts, reply, name, route.reference, actor);
      break;
    }
    case 'blob': {
      const name = checkName(route.name);
      if (method === 'GET' || method === 'HEAD')
        return getBlob(opts, req, reply, name, checkDigest(route.digest));
      if (method === 'DELETE') return deleteBlob(opts, reply, name, checkDigest(route.digest));
      break;
    }
    case 'uploads': {
      const name = checkName(route.name);
      if (route.id === '') {
        if (method === 'POST') return startUpload(opts, req, reply, name, q);
        break;
      }
      if (method === 'PATCH') return patchUpload(opts, req, reply, name, route.id);
      if (method === 'PUT') return putUpload(opts, req, reply, name, route.id, q);
      if (method === 'GET') return uploadStatus(opts, reply, name, route.id);
      if (method === 'DELETE') return cancelUpload(opts, reply, name, route.id);
      break;
    }
    case 'referrers':
      if (method !== 'GET') break;
      return referrers(opts, reply, checkName(route.name), checkDigest(route.digest), q);
  }
  throw new RegistryError(
    'UNSUPPORTED',
    `${method} is not supported on ${truncateForMessage(pathname, 100)}`,
  );
}

/** The spec's error body and status for anything a handler throws. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof GateRefusedError) {
    return { status: 403, body: { errors: [{ code: 'DENIED', message: err.message }] } };
  }
  if (isPortcullisError(err) && err instanceof RegistryError) {
    const r = ERROR_RESPONSES[err.code];
    // Internal failures say no more than that: paths and errno texts stay in the log.
    const message = r.status >= 500 ? 'internal storage error' : err.message;
    return { status: r.status, body: { errors: [{ code: r.code, message }] } };
  }
  return { status: 500, body: { errors: [{ code: 'UNKNOWN', message: 'internal error' }] } };
}

/**
 * Registers the OCI distribution v1.1 endpoints under `/v2/` on `app`. Request bodies reach
 * the handlers as raw streams (blobs are streamed to disk, never buffered).
 */
export function registerDistributionRoutes(app: FastifyInstance, opts: RegistryRoutesOptions): void {
  app.removeAllContentTypeParsers();
  // Leave every body unread: the handlers take req.raw.
  app.addContentTypeParser('*', () => Promise.resolve(undefined));
  const auth = opts.auth;
  const serve = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    void reply.header('docker-distribution-api-version', 'registry/2.0');
    // Set once the request is allowed: the audit record written when it is answered.
    let actor: AuditActor | undefined;
    let failure: string | undefined;
    try {
      if (req.url.length > MAX_URL_LENGTH)
        throw new RegistryError('NAME_INVALID', 'the request URL is too long');
      let filter: CatalogFilter | undefined;
      if (auth !== undefined) {
        const check = await checkRegistryRequest(auth, req, opts.logger);
        if (!check.allowed) {
          req.raw.resume();
          if (check.event !== undefined)
            auditDenial(auth.audit, req, check.event, check.denial.status, opts.logger);
          return await sendDenial(reply, check.denial);
        }
        actor = actorOfIdentity(check.identity);
        filter = await catalogFilter(auth, check.identity);
      }
      return await dispatch(
        opts,
        req,
        reply,
        filter,
        actor === undefined ? undefined : { kind: actor.actorKind, name: actor.actor },
      );
    } catch (err) {
      const { status, body } = errorResponse(err);
      failure = body.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      if (status >= 500)
        opts.logger?.warn(`registry request failed: ${err instanceof Error ? err.message : String(err)}`);
      req.raw.resume();
      return await reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
    } finally {
      if (actor !== undefined) auditRequest(auth?.audit, req, reply, actor, failure, opts.logger);
    }
  };
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'], url: '/v2/*', handler: serve });
  app.route({ method: ['GET', 'HEAD'], url: '/v2', handler: serve });
  if (auth !== undefined) {
    app.route({
      method: ['GET', 'POST'],
      url: '/token',
      handler: async (req, reply) => await handleTokenRequest(auth, req, reply, opts.logger),
    });
  }
}
