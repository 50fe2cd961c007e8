import { z } from 'zod';
import { API_ERROR_CODES, API_ERROR_STATUS } from './errors.js';
import type { ApiResponseSpec, ApiRoute } from './route.js';
import { MAX_API_BODY_BYTES } from './limits.js';
import { DENIED_DOC, UNAUTHORIZED_DOC, errorDoc } from './schema.js';

// The OpenAPI 3.1 document of the management API, written from the route table: paths and
// operations from the routes, parameters and bodies from their zod schemas (JSON Schema
// 2020-12, which OpenAPI 3.1 uses as is). docs/registry-api.openapi.json is this document for
// the routes `portcullis serve` registers; a test keeps the file current.

/** An OpenAPI document, as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

type JsonSchema = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';

/** The named schemas met while writing the document: its components. */
type Components = Map<string, JsonSchema>;

/**
 * JSON Schema of a zod schema. zod puts every named schema it meets (apiComponent) in `$defs`;
 * those become the document's components, and references to them point there.
 */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', components: Components): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  const defs = (out['$defs'] ?? {}) as Record<string, JsonSchema>;
  for (const [id, def] of Object.entries(defs)) components.set(id, rewriteRefs(def) as JsonSchema);
  return rewriteRefs(
    Object.fromEntries(Object.entries(out).filter(([k]) => k !== '$schema' && k !== '$defs')),
  ) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!(value instanceof Object)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
        ? `${REF_PREFIX}${v.slice('#/$defs/'.length)}`
        : rewriteRefs(v),
    ]),
  );
}

/** Path or query parameters from a strict object schema. */
function parametersOf(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  components: Components,
): JsonSchema[] {
  if (schema === undefined) return [];
  const obj = jsonSchemaOf(schema, 'input', components);
  const props = (obj['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((obj['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/**
 * A route's responses with the errors every route of its kind may answer: 400 when it takes
 * input (413 and 415 for a body), 401 when it needs credentials, 403 when a caller may be refused (robots, or anyone but
 * a system administrator). A route's own entry for a status wins.
 */
function responsesOf(route: ApiRoute): [string, ApiResponseSpec][] {
  const all: Record<number, ApiResponseSpec> = {};
  if (route.params !== undefined || route.query !== undefined || route.body !== undefined)
    all[400] = errorDoc('Bad path, query or body (INVALID)');
  if (route.body !== undefined) {
    all[413] = errorDoc(`A body over ${MAX_API_BODY_BYTES} bytes (TOO_LARGE)`);
    all[415] = errorDoc('A body that is not application/json (UNSUPPORTED_MEDIA_TYPE)');
  }
  if (route.access !== 'public') all[401] = UNAUTHORIZED_DOC;
  if (route.access === 'system-admin' || (route.access === 'authenticated' && !route.robots))
    all[403] = DENIED_DOC;
  Object.assign(all, route.responses);
  return Object.entries(all).sort(([a], [b]) => Number(a) - Number(b));
}

function operationOf(route: ApiRoute, components: Components): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of responsesOf(route)) {
    const type = r.contentType ?? 'application/json';
    responses[status] = {
      description: r.description,
      ...(r.schema !== undefined
        ? { content: { [type]: { schema: jsonSchemaOf(r.schema, 'output', components) } } }
        : r.contentType !== undefined
          ? { content: { [type]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  const who =
    route.access === 'public'
      ? 'No authentication.'
      : route.access === 'system-admin'
        ? 'System administrators.'
        : route.robots
          ? 'Authenticated users and robots.'
          : 'Authenticated users (robots are refused).';
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description === undefined ? who : `${route.description} ${who}`,
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : {}),
    parameters: [
      ...parametersOf(route.params, 'path', components),
      ...parametersOf(route.query, 'query', components),
    ],
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input', components) } },
          },
        }),
    responses,
  };
}

/** The components: the named schemas met, and the two credential schemes. */
function componentsOf(components: Components): JsonSchema {
  return {
    schemas: Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b))),
    securitySchemes: {
      basic: {
        type: 'http',
        scheme: 'basic',
        description: "A user's password, or a robot's login name (robot$PROJECT+NAME) and token.",
      },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          "A token from the registry's /token endpoint. It identifies its holder; the API then decides from the holder's account, not the token's access claim.",
      },
    },
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function buildOpenApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const components: Components = new Map();
  const sorted = [...routes].sort((a, b) => a.path.localeCompare(b.path));
  for (const route of sorted) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operationOf(route, components);
  }
  const codes = API_ERROR_CODES.map((c) => `${c} (${API_ERROR_STATUS[c]})`).join(', ');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis registry management API',
      version: '1',
      description: `JSON management of the registry's users, projects, members, robots and audit log, and the scans, signatures and policy gates of its images. Errors are {"errors":[{"code","message"}]} with a stable code: ${codes}. Robots are credentials for automation, not administration: they may only use the read-only routes of scan results, signatures and gates.`,
    },
    servers: [{ url: '/' }],
    security: [{ basic: [] }, { bearer: [] }],
    tags: [...new Set(sorted.map((r) => r.tag))].sort().map((name) => ({ name })),
    paths,
    components: componentsOf(components),
  };
}
