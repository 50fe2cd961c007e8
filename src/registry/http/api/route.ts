import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiContext, Caller } from './context.js';
import { ApiError } from './errors.js';

// One table describes each management route: method, path, who may call it, the zod schemas of
// its input and output, and its handler. The same table registers the fastify routes and
// writes the OpenAPI document, so the two are built from one source; a test still compares
// what fastify registered with the document, to catch routes added outside the table.

/** HTTP methods the management API uses. */
export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route before its handler decides further: anyone (`public`), any authenticated
 * user (`authenticated`), or only an enabled system administrator (`system-admin`, checked
 * before the input is read).
 */
export type ApiAccess = 'public' | 'authenticated' | 'system-admin';

/** One documented response of a route. */
export type ApiResponseSpec = {
  readonly description: string;
  /** A zod schema (documented as a component when registered with an id) of a JSON body. */
  readonly schema?: z.ZodType | undefined;
  /** Default `application/json`; another type is documented as a string body. */
  readonly contentType?: string | undefined;
};

/** What a handler answers: a status and a JSON body (none for 204), or a reply it sent itself. */
export type ApiResult =
  { readonly status: number; readonly body?: unknown } | { readonly sent: FastifyReply };

/**
 * What a successful change did, for its `manage` audit record: `what` such as
 * `user:alice password changed` (names and roles only, never a password or token), and the
 * project it belongs to, if any (the record's repository, so a project's changes filter together).
 */
export type ApiChange = { readonly what: string; readonly project?: string | undefined };

/** A request as a handler sees it: checked input, the caller, and the raw request for streaming. */
export type ApiRequest<P, Q, B> = {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** Anonymous only on `public` routes. */
  readonly caller: Caller;
  readonly raw: FastifyRequest;
  readonly reply: FastifyReply;
};

/** A route as written, with the types of its input. */
export type ApiRouteSpec<P, Q, B> = {
  readonly method: ApiMethod;
  /** OpenAPI form, `/api/v1/users/{name}`. */
  readonly path: string;
  /** Used as the OpenAPI operationId. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string | undefined;
  /** The OpenAPI tag grouping it (users, projects, members, robots, audit, repositories, meta). */
  readonly tag: string;
  readonly access: ApiAccess;
  /**
   * Robots may call it. Off for every account-management route: robots are credentials for
   * pushing and pulling, and the authorization library never lets them administer projects.
   */
  readonly robots?: boolean | undefined;
  /** A strict object of the `{...}` path parameters (fastify hands them over decoded). */
  readonly params?: z.ZodType<P> | undefined;
  readonly query?: z.ZodType<Q> | undefined;
  /** The JSON body; the route then only accepts `application/json`. */
  readonly body?: z.ZodType<B> | undefined;
  readonly responses: Readonly<Record<number, ApiResponseSpec>>;
  readonly handler: (req: ApiRequest<P, Q, B>, ctx: ApiContext) => Promise<ApiResult>;
  /**
   * Describes the change a successful (2xx) answer made; the route then records it as a
   * `manage` audit event. Every route that changes state has one (a test checks).
   */
  readonly change?: ((input: { readonly params: P; readonly body: B }) => ApiChange) | undefined;
};

/** A route with its input types erased, ready to register and document. */
export type ApiRoute = {
  readonly method: ApiMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tag: string;
  readonly access: ApiAccess;
  readonly robots: boolean;
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly responses: Readonly<Record<number, ApiResponseSpec>>;
  /** Whether a successful answer is recorded as a `manage` audit event. */
  readonly audited: boolean;
  /**
   * Checks the input and runs the handler, recording a successful change.
   * Throws ApiError INVALID for bad input.
   */
  run(raw: FastifyRequest, reply: FastifyReply, caller: Caller, ctx: ApiContext): Promise<ApiResult>;
};

/** `where: message` for each zod issue (at most five), naming the field at fault. */
export function formatIssues(where: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => {
    const at = i.path.length === 0 ? where : `${where}.${i.path.map(String).join('.')}`;
    return `${at}: ${i.message}`;
  });
  return parts.join('; ');
}

/**
 * Checks one part of a request against its schema.
 * @throws ApiError INVALID naming the field and what was expected.
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError('INVALID', formatIssues(where, r.error));
  return r.data;
}

/** Declares a route; the input is checked by its schemas before the handler runs. */
export function defineApiRoute<P = undefined, Q = undefined, B = undefined>(
  spec: ApiRouteSpec<P, Q, B>,
): ApiRoute {
  const { params, query, body } = spec;
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tag: spec.tag,
    access: spec.access,
    robots: spec.robots === true,
    params,
    query,
    body,
    responses: spec.responses,
    audited: spec.change !== undefined,
    async run(raw, reply, caller, ctx) {
      // Undefined stands for "no such part": a route without a schema gets undefined there.
      const p = (params === undefined ? undefined : parseInput(params, raw.params, 'path')) as P;
      const q = (query === undefined ? undefined : parseInput(query, raw.query, 'query')) as Q;
      const b = (body === undefined ? undefined : parseInput(body, raw.body, 'body')) as B;
      const result = await spec.handler({ params: p, query: q, body: b, caller, raw, reply }, ctx);
      // Refusals throw before here; only a change that went through is recorded.
      if (spec.change !== undefined && 'status' in result && result.status >= 200 && result.status < 300)
        ctx.recordChange(raw, caller, spec.change({ params: p, body: b }), result.status);
      return result;
    },
  };
}

/** `/api/v1/users/{name}` → `/api/v1/users/:name`. */
export function toFastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, ':$1');
}
