import Fastify, { LogController } from 'fastify';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  RawServerBase,
} from 'fastify';
import type { Registry } from 'prom-client';
import { isPortcullisError } from '../core/index.js';
import type { Policy } from '../policy/index.js';
import {
  decide,
  toAdmissionResponse,
  AdmissionError,
  pinImagesPatch,
  isEmptyPlan,
  planFacts,
  buildAdmissionResponse,
  parseAdmissionReviewJson,
  type FactPlan,
  type FactSource,
  type AdmissionRequest,
  type AdmissionReviewResponse,
} from '../admission/index.js';
import { WebhookError } from './errors.js';
import { firstError, gatherWithDeadline } from './gather.js';
import type { GatherOutcome } from './gather.js';
import { createAdmissionMetrics } from './metrics.js';
import type { Endpoint, RequestResult } from './metrics.js';

export type AdmissionWebhookOptions = {
  /**
   * The policy in force, asked on every request so that a reload can swap it; `undefined`
   * means none is loaded yet (readyz answers 503, and so do the admission endpoints).
   */
  readonly policy: () => Policy | undefined;
  /** Looks up digests, signatures, scans and image users; without it such facts are errors. */
  readonly facts?: FactSource;
  /**
   * Time allowed for gathering facts, in ms (default 2500). Keep it well below the webhook
   * configuration's `timeoutSeconds`, so that a slow registry yields the rule's `onError`
   * outcome and not an API-server timeout.
   */
  readonly deadlineMs?: number;
  /** fastify/pino logger options, or false for none (default: JSON at level info). */
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest request body accepted, in bytes (default 8 MiB: an object and its old version). */
  readonly bodyLimitBytes?: number;
  /** Also export Node's process metrics (CPU, memory, event loop) on /metrics (default false). */
  readonly processMetrics?: boolean;
  /**
   * Called once with the app's own metrics registry, to add collectors of the caller's (say,
   * the fact source's cache counters) to the same /metrics page.
   */
  readonly registerMetrics?: (registry: Registry) => void;
  /** The clock for expiry dates in the policy (default: the current time). */
  readonly now?: () => Date;
};

/** Shared between the routes and the server wrapper (readiness during shutdown). */
export type AdmissionAppState = {
  closing: boolean;
  inFlight: number;
};

export const DEFAULT_DEADLINE_MS = 2500;
// timeoutSeconds is at most 30 s; a deadline at or above that can never be met.
const MAX_DEADLINE_MS = 29_000;
const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
const JSON_MEDIA_TYPE = /^application\/json\s*(?:;|$)/i;
const ADMISSION_ROUTES: Readonly<Record<string, Endpoint>> = { '/validate': 'validate', '/mutate': 'mutate' };

/**
 * The admission webhook as a fastify app without a listener (for `inject` and for
 * {@link startAdmissionServer}): POST /validate and /mutate take an AdmissionReview
 * (`admission.k8s.io/v1` or `v1beta1`), GET /healthz, /readyz and /metrics.
 *
 * @throws WebhookError WEBHOOK_OPTIONS_INVALID for a deadline or body limit out of range.
 */
export function createAdmissionApp(options: AdmissionWebhookOptions): FastifyInstance {
  const app = Fastify(fastifyOptions(options));
  installAdmissionRoutes(app, options, { closing: false, inFlight: 0 });
  return app;
}

/** The fastify options common to the app and the HTTPS server. */
export function fastifyOptions(
  options: AdmissionWebhookOptions,
): Pick<
  FastifyServerOptions,
  'logger' | 'logController' | 'bodyLimit' | 'return503OnClosing' | 'forceCloseConnections'
> {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) {
    throw new WebhookError(
      'WEBHOOK_OPTIONS_INVALID',
      `bodyLimitBytes ${bodyLimit} must be a whole number of at least 1024`,
    );
  }
  return {
    logger: options.logger ?? { level: 'info' },
    // One structured line per admission request instead of fastify's two per request; probes
    // every few seconds would otherwise drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // During shutdown in-flight and keep-alive requests are still answered; readiness says 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  };
}

/** Adds the routes to an app (plain HTTP for tests, HTTPS for the server). */
export function installAdmissionRoutes<S extends RawServerBase>(
  app: FastifyInstance<S>,
  options: AdmissionWebhookOptions,
  state: AdmissionAppState,
): void {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1 || deadlineMs > MAX_DEADLINE_MS) {
    throw new WebhookError(
      'WEBHOOK_OPTIONS_INVALID',
      `deadlineMs ${deadlineMs} must be a whole number from 1 to ${MAX_DEADLINE_MS} (below the webhook timeout)`,
    );
  }
  const now = options.now ?? ((): Date => new Date());
  const metrics = createAdmissionMetrics({ processMetrics: options.processMetrics ?? false });
  options.registerMetrics?.(metrics.registry);
  const results = new WeakMap<object, RequestResult>();

  // Every body reaches the handler as text, whatever its content type, so that a wrong type, an
  // empty body or bad JSON gets our 400 with a clear message rather than fastify's 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req: unknown, body: string | Buffer) =>
    Promise.resolve(body),
  );

  app.addHook('onResponse', async (req, reply) => {
    const endpoint = ADMISSION_ROUTES[req.routeOptions.url ?? ''];
    if (endpoint === undefined) return;
    metrics.requests.inc({ endpoint, result: results.get(req) ?? 'error' });
    metrics.duration.observe({ endpoint }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const status = httpStatusFor(err);
    const code = typeof err.code === 'string' ? err.code : 'INTERNAL';
    // The message of a parse error quotes the start of the body, so only the code is logged.
    if (status >= 500) req.log.error({ code, url: req.url }, 'admission request failed');
    else req.log.info({ code, url: req.url, statusCode: status }, 'admission request refused');
    return reply.code(status).send({
      statusCode: status,
      code,
      error: status === 413 ? 'Payload Too Large' : status >= 500 ? 'Internal Server Error' : 'Bad Request',
      message: status >= 500 ? 'internal error while answering the admission request' : err.message,
    });
  });

  const readReview = (req: FastifyRequest<{ Body: unknown }, S>): AdmissionRequest => {
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_MEDIA_TYPE.test(type)) {
      throw new AdmissionError(
        'ADMISSION_REVIEW_INVALID',
        `the content type is ${type === undefined ? 'missing' : `"${type.slice(0, 60)}"`}; expected application/json`,
      );
    }
    const body = req.body;
    if (typeof body !== 'string' || body.trim() === '') {
      throw new AdmissionError(
        'ADMISSION_REVIEW_INVALID',
        'the body is empty; expected an AdmissionReview object',
      );
    }
    return parseAdmissionReviewJson(body);
  };

  const notReady = (reply: FastifyReply<never, S>): FastifyReply<never, S> =>
    reply.code(503).send({
      statusCode: 503,
      code: 'NOT_READY',
      error: 'Service Unavailable',
      message: 'no policy is loaded',
    });

  const admit =
    (endpoint: Endpoint, answer: (request: AdmissionRequest, policy: Policy) => Promise<Answer>) =>
    async (req: FastifyRequest<{ Body: unknown }, S>, reply: FastifyReply<never, S>): Promise<void> => {
      metrics.inFlight.inc({ endpoint });
      state.inFlight++;
      try {
        const request = readReview(req);
        const policy = options.policy();
        if (policy === undefined) {
          await notReady(reply);
          return;
        }
        const started = performance.now();
        const { response, result, gathered, log } = await answer(request, policy);
        results.set(req, result);
        if (gathered !== undefined) {
          if (gathered.failure !== undefined)
            metrics.factErrors.inc({ endpoint, reason: gathered.failure.reason });
          if (gathered.lookupErrors > 0)
            metrics.factErrors.inc({ endpoint, reason: 'lookup' }, gathered.lookupErrors);
        }
        // Never the object, its env or its annotations: only what identifies the request and the verdict.
        req.log.info(
          {
            endpoint,
            uid: request.uid,
            kind: request.kind.kind,
            namespace: request.namespace,
            name: request.name,
            operation: request.operation,
            dryRun: request.dryRun,
            allowed: response.response.allowed,
            result,
            durationMs: Math.round((performance.now() - started) * 100) / 100,
            ...(gathered?.failure !== undefined ? { factFailure: gathered.failure.reason } : {}),
            ...log,
          },
          'admission',
        );
        await reply.code(200).send(response);
      } finally {
        state.inFlight--;
        metrics.inFlight.dec({ endpoint });
      }
    };

  const validate = async (request: AdmissionRequest, policy: Policy): Promise<Answer> => {
    const plan = planFacts(request, policy);
    const gathered = isEmptyPlan(plan)
      ? undefined
      : await gatherWithDeadline(options.facts, plan, deadlineMs);
    const decision = decide(request, policy, gathered?.facts ?? {}, now());
    const notPassed = decision.verdicts.filter((v) => v.action !== 'allow' || v.exemptedBy !== undefined);
    return {
      response: toAdmissionResponse(request, decision),
      result: !decision.allowed ? 'denied' : decision.warnings.length > 0 ? 'warned' : 'allowed',
      gathered,
      log: {
        ...(decision.skipped !== undefined ? { skipped: decision.skipped } : {}),
        ...(notPassed.length > 0
          ? {
              verdicts: notPassed.map((v) => ({
                rule: v.rule,
                image: v.image,
                action: v.action,
                outcome: v.outcome,
                ...(v.exemptedBy !== undefined ? { exempted: true } : {}),
              })),
            }
          : {}),
        // Audit verdicts exist only in this log; dryRun on the same line says whether the
        // request would have created anything.
        ...(decision.audit.length > 0 ? { audit: decision.audit.map((v) => v.message) } : {}),
      },
    };
  };

  const mutate = async (request: AdmissionRequest, policy: Policy): Promise<Answer> => {
    const ok = (warnings: readonly string[] = []): Answer => ({
      response: buildAdmissionResponse({
        apiVersion: request.apiVersion,
        uid: request.uid,
        allowed: true,
        warnings,
      }),
      result: warnings.length > 0 ? 'warned' : 'allowed',
      gathered: undefined,
      log: {},
    });
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return ok();
    if (request.subResource !== undefined && request.subResource !== 'ephemeralcontainers') return ok();
    if (request.object === undefined) return ok();
    const plan = digestsOnly(planFacts(request, policy, { pin: true }));
    const gathered = isEmptyPlan(plan)
      ? undefined
      : await gatherWithDeadline(options.facts, plan, deadlineMs);
    const images = gathered?.facts.images ?? {};
    const digests: Record<string, string> = {};
    for (const [image, facts] of Object.entries(images))
      if (facts.digest !== undefined) digests[image] = facts.digest;
    const pin = pinImagesPatch(request.kind.kind, request.object, digests);
    // Through pods/ephemeralcontainers only the ephemeral containers may change; a patch to any
    // other field would make the API server refuse the whole update.
    const patch =
      request.subResource === 'ephemeralcontainers'
        ? pin.patch.filter((op) => op.path.startsWith('/spec/ephemeralContainers/'))
        : pin.patch;
    const warnings = pin.unpinned.map((u) => {
      const why =
        u.reason === 'no digest known for this image'
          ? (gathered?.failure?.message ??
            firstError(images[u.image]) ??
            'the registry lookup gave no digest')
          : u.reason;
      return `image "${u.image}" was not pinned to a digest: ${why}`;
    });
    return {
      response: buildAdmissionResponse({
        apiVersion: request.apiVersion,
        uid: request.uid,
        allowed: true,
        warnings,
        patch,
      }),
      result: warnings.length > 0 ? 'warned' : 'allowed',
      gathered,
      log: { pinned: patch.length, unpinned: pin.unpinned.map((u) => u.image) },
    };
  };

  app.post('/validate', admit('validate', validate));
  app.post('/mutate', admit('mutate', mutate));
  app.get('/healthz', (_req, reply) => {
    reply.send({ status: 'ok' });
  });
  app.get('/readyz', async (_req, reply) => {
    if (state.closing) return reply.code(503).send({ status: 'shutting down' });
    if (options.policy() === undefined) return reply.code(503).send({ status: 'no policy loaded' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}

type Answer = {
  readonly response: AdmissionReviewResponse;
  readonly result: RequestResult;
  readonly gathered: GatherOutcome | undefined;
  readonly log: Readonly<Record<string, unknown>>;
};

// Mutation needs digests only: scans and signature checks belong to validation, which runs
// after all mutating webhooks and would otherwise wait on them twice.
function digestsOnly(plan: FactPlan): FactPlan {
  return {
    images: plan.images
      .filter((n) => n.digest)
      .map((n) => ({ ...n, config: false, scan: false, signatures: [] })),
  };
}

/** The HTTP status for an error raised while answering: 400 for unreadable reviews. */
export function httpStatusFor(err: unknown): number {
  if (err instanceof AdmissionError) return 400;
  if (isPortcullisError(err)) return 500;
  if (err instanceof Error && 'statusCode' in err) {
    const status = err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return status;
  }
  return 500;
}
