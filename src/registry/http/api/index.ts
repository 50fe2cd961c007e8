// The registry's management API (/api/v1): accounts, projects, members, robots and the audit
// log, plus the plumbing (authentication, input checks, errors, OpenAPI) the server layer uses
// to add its own routes through an ApiExtension.
export { ApiError, API_ERROR_CODES, API_ERROR_STATUS, apiErrorResponse } from './errors.js';
export type { ApiErrorCode, ApiErrorBody } from './errors.js';
export { defineApiRoute, parseInput, formatIssues, toFastifyPath } from './route.js';
export type {
  ApiAccess,
  ApiMethod,
  ApiRequest,
  ApiResponseSpec,
  ApiResult,
  ApiRoute,
  ApiRouteSpec,
} from './route.js';
export type { ApiContext, Caller } from './context.js';
export { isActiveSystemAdmin } from './context.js';
export {
  apiComponent,
  digestSchema,
  errorBodySchema,
  errorDoc,
  projectNameSchema,
  repositoryNameSchema,
  userNameSchema,
  DENIED_DOC,
  UNAUTHORIZED_DOC,
} from './schema.js';
export { buildOpenApiDocument } from './openapi.js';
export type { OpenApiDocument } from './openapi.js';
export { API_PREFIX, managementRoutes, registerManagementApi } from './register.js';
export { MAX_API_BODY_BYTES } from './limits.js';
export type { ApiExtension, ManagementApiOptions } from './register.js';
