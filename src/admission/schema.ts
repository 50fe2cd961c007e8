import { z } from 'zod';
import { truncateForMessage } from '../core/index.js';
import { AdmissionError } from './errors.js';

/**
 * AdmissionReview (`admission.k8s.io/v1`, and `v1beta1`, which has the same shape and is still
 * sent by older clusters and by recorded fixtures). Objects are loose: the API server adds fields
 * over time and an unknown field must not turn into a refused pod.
 * https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
 */
export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

const MAX_WARNINGS = 10;
// The API server may truncate longer warnings (256 characters), so we cut them ourselves, cleanly.
const MAX_WARNING_LENGTH = 256;
const MAX_STATUS_MESSAGE = 4096;

const groupVersionKindSchema = z.looseObject({
  group: z.string(),
  version: z.string(),
  kind: z.string().min(1, 'must not be empty'),
});

const groupVersionResourceSchema = z.looseObject({
  group: z.string(),
  version: z.string(),
  resource: z.string().min(1, 'must not be empty'),
});

const userInfoSchema = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
});

// Objects are judged later by images.ts; here only "a JSON object or absent". Recorded requests
// carry `oldObject: ""` or `"None"` on CREATE, which mean "no old object".
const objectSchema = z.record(z.string(), z.unknown());
const optionalObject = z.preprocess(
  (v) => (objectSchema.safeParse(v).success ? v : undefined),
  objectSchema.optional(),
);

const requestSchema = z.looseObject({
  uid: z.string().min(1, 'must not be empty').max(256),
  kind: groupVersionKindSchema,
  resource: groupVersionResourceSchema,
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(OPERATIONS, { error: `expected operation ${OPERATIONS.join(', ')}` }),
  userInfo: userInfoSchema.optional(),
  object: optionalObject,
  oldObject: optionalObject,
  dryRun: z.boolean().optional(),
});

const reviewSchema = z.looseObject({
  apiVersion: z.enum(ADMISSION_API_VERSIONS, {
    error: `expected apiVersion ${ADMISSION_API_VERSIONS.join(' or ')}`,
  }),
  kind: z.literal('AdmissionReview', { error: 'expected kind AdmissionReview' }),
  request: requestSchema,
  // Not in the API; some recorded fixtures put dryRun here. Read it so it is never lost.
  dryRun: z.boolean().optional(),
});

/** The validated request of an AdmissionReview, with the review's apiVersion (echoed in the response). */
export type AdmissionRequest = {
  readonly apiVersion: AdmissionApiVersion;
  readonly uid: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo?: {
    readonly username?: string | undefined;
    readonly uid?: string | undefined;
    readonly groups?: readonly string[] | undefined;
  };
  readonly object?: Readonly<Record<string, unknown>>;
  readonly oldObject?: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
};

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates a parsed JSON body as an AdmissionReview and returns its request.
 *
 * @throws AdmissionError ADMISSION_REVIEW_INVALID naming the first problems (a null body, a
 *   missing request, uid, kind, resource or operation, an unknown apiVersion).
 */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  // A JSON `null` body is the only non-array object that is not a record.
  const isNull = typeof body === 'object' && !Array.isArray(body) && !objectSchema.safeParse(body).success;
  if (body === undefined || isNull) {
    throw new AdmissionError(
      'ADMISSION_REVIEW_INVALID',
      'the body is empty (null); expected an AdmissionReview object',
    );
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AdmissionError(
      'ADMISSION_REVIEW_INVALID',
      `the body is ${Array.isArray(body) ? 'an array' : `a ${typeof body}`}; expected an AdmissionReview object`,
    );
  }
  const parsed = reviewSchema.safeParse(body);
  if (!parsed.success) {
    throw new AdmissionError(
      'ADMISSION_REVIEW_INVALID',
      `not a valid AdmissionReview: ${describeIssues(parsed.error)}`,
    );
  }
  const { apiVersion, request, dryRun } = parsed.data;
  return {
    apiVersion,
    uid: request.uid,
    kind: { group: request.kind.group, version: request.kind.version, kind: request.kind.kind },
    resource: {
      group: request.resource.group,
      version: request.resource.version,
      resource: request.resource.resource,
    },
    ...(request.subResource !== undefined && request.subResource !== ''
      ? { subResource: request.subResource }
      : {}),
    ...(request.name !== undefined ? { name: request.name } : {}),
    ...(request.namespace !== undefined && request.namespace !== '' ? { namespace: request.namespace } : {}),
    operation: request.operation,
    ...(request.userInfo !== undefined ? { userInfo: request.userInfo } : {}),
    ...(request.object !== undefined ? { object: request.object } : {}),
    ...(request.oldObject !== undefined ? { oldObject: request.oldObject } : {}),
    dryRun: request.dryRun ?? dryRun ?? false,
  };
}

/**
 * Parses a raw HTTP body (JSON text) as an AdmissionReview.
 *
 * @throws AdmissionError ADMISSION_REVIEW_INVALID when the text is not JSON or not an AdmissionReview.
 */
export function parseAdmissionReviewJson(text: string): AdmissionRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new AdmissionError(
      'ADMISSION_REVIEW_INVALID',
      `the body is not JSON (${truncateForMessage(text, 60)}); expected an AdmissionReview object`,
      { cause: err },
    );
  }
  return parseAdmissionReview(body);
}

/** One RFC 6902 operation; the mutating webhook only ever replaces or adds image fields. */
export type JsonPatchOperation =
  | { readonly op: 'replace' | 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

export type AdmissionResponseInput = {
  readonly apiVersion?: AdmissionApiVersion;
  readonly uid: string;
  readonly allowed: boolean;
  /** Only used when denied; defaults to 403. */
  readonly code?: number;
  readonly message?: string;
  readonly warnings?: readonly string[];
  /** Omitted or empty: no patch is sent (and no patchType). */
  readonly patch?: readonly JsonPatchOperation[];
};

export type AdmissionReviewResponse = {
  readonly apiVersion: AdmissionApiVersion;
  readonly kind: 'AdmissionReview';
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly status?: { readonly code: number; readonly message: string };
    readonly warnings?: readonly string[];
    readonly patchType?: 'JSONPatch';
    readonly patch?: string;
  };
};

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Builds the AdmissionReview the API server expects back: the request's uid echoed, `status`
 * only on denial, at most 10 warnings of at most 256 characters, and a JSONPatch always sent
 * with its `patchType` (the API server rejects a patch without one).
 */
export function buildAdmissionResponse(input: AdmissionResponseInput): AdmissionReviewResponse {
  const warnings = [...new Set(input.warnings ?? [])].map((w) => shorten(w, MAX_WARNING_LENGTH));
  const kept =
    warnings.length <= MAX_WARNINGS
      ? warnings
      : [
          ...warnings.slice(0, MAX_WARNINGS - 1),
          `…and ${warnings.length - (MAX_WARNINGS - 1)} more warnings`,
        ];
  const patch = input.patch !== undefined && input.patch.length > 0 ? input.patch : undefined;
  return {
    apiVersion: input.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: input.uid,
      allowed: input.allowed,
      ...(input.allowed
        ? {}
        : {
            status: {
              code: input.code ?? 403,
              message: shorten(input.message ?? 'denied by policy', MAX_STATUS_MESSAGE),
            },
          }),
      ...(kept.length > 0 ? { warnings: kept } : {}),
      ...(patch !== undefined
        ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
        : {}),
    },
  };
}
