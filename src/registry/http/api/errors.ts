import { isPortcullisError, PortcullisError } from '../../../core/index.js';
import { AuditError } from '../../audit/index.js';
import { RegistryAuthError, type RegistryAuthErrorCode } from '../../auth/index.js';

/** A management API error code as it appears in a response body; stable, clients may branch on it. */
export type ApiErrorCode =
  /** No credentials, or credentials that do not authenticate (401, with a Basic challenge). */
  | 'UNAUTHORIZED'
  /** Authenticated, but not allowed (403). */
  | 'DENIED'
  /** The path, query or JSON body is malformed or breaks a rule (name, password, role...) (400). */
  | 'INVALID'
  /** The user, project, membership, robot, repository, manifest or scan does not exist (404). */
  | 'NOT_FOUND'
  /** What is being created already exists (409). */
  | 'ALREADY_EXISTS'
  /** The change would leave the registry inconsistent: the last administrator, a non-empty project (409). */
  | 'CONFLICT'
  /** The body is not `application/json` (415). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The body is larger than the API accepts (413). */
  | 'TOO_LARGE'
  /** Anything else; details only in the server log (500). */
  | 'INTERNAL';

/** Every API error code, in the order the OpenAPI document lists them. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = [
  'UNAUTHORIZED',
  'DENIED',
  'INVALID',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_LARGE',
  'INTERNAL',
];

/** HTTP status of each code; the one place that maps them. */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  UNAUTHORIZED: 401,
  DENIED: 403,
  INVALID: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_LARGE: 413,
  INTERNAL: 500,
};

/** A refusal of the management API, answered with its code's status. */
export class ApiError extends PortcullisError<ApiErrorCode> {}

/** The body of every management API error: `{"errors":[{"code","message"}]}`, as on /v2. */
export type ApiErrorBody = {
  readonly errors: readonly [{ readonly code: ApiErrorCode; readonly message: string }];
};

const AUTH_CODES: Readonly<Record<RegistryAuthErrorCode, ApiErrorCode>> = {
  NAME_INVALID: 'INVALID',
  PASSWORD_INVALID: 'INVALID',
  PERMISSION_INVALID: 'INVALID',
  SCOPE_INVALID: 'INVALID',
  CREDENTIALS_MALFORMED: 'UNAUTHORIZED',
  TOKEN_INVALID: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'UNAUTHORIZED',
  TOKEN_NOT_YET_VALID: 'UNAUTHORIZED',
  TOKEN_AUDIENCE: 'UNAUTHORIZED',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  NOT_FOUND: 'NOT_FOUND',
  KEY_INVALID: 'INTERNAL',
  STORE_INCOMPATIBLE: 'INTERNAL',
};

/** Fastify's own request errors (body parsing happens before a handler runs). */
function fastifyCode(err: unknown): ApiErrorCode | undefined {
  if (!(err instanceof Error) || !('code' in err)) return undefined;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'INVALID';
    default:
      return undefined;
  }
}

/**
 * The status and body for anything a handler throws. Messages of internal failures stay in the
 * log; every other message names only the input at fault (the account modules never put a
 * password or token in one).
 */
export function apiErrorResponse(err: unknown): { status: number; body: ApiErrorBody } {
  let code: ApiErrorCode = 'INTERNAL';
  let message = 'internal error';
  if (err instanceof ApiError) {
    code = err.code;
    message = err.message;
  } else if (err instanceof RegistryAuthError) {
    code = AUTH_CODES[err.code];
    message = err.message;
  } else if (err instanceof AuditError) {
    code = err.code === 'QUERY_INVALID' ? 'INVALID' : 'INTERNAL';
    message = err.message;
  } else {
    const fc = fastifyCode(err);
    if (fc !== undefined) {
      code = fc;
      message =
        fc === 'UNSUPPORTED_MEDIA_TYPE'
          ? 'the body must be application/json'
          : fc === 'TOO_LARGE'
            ? 'the body is too large'
            : 'the body is empty or malformed';
    } else if (isPortcullisError(err)) {
      // Another capability's coded error reaching here is a wiring bug, not the client's.
      code = 'INTERNAL';
    }
  }
  const status = API_ERROR_STATUS[code];
  if (status >= 500) message = 'internal error';
  return { status, body: { errors: [{ code, message }] } };
}
