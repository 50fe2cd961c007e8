// The registry capability's public door: blob storage, metadata, manifest checks and the
// OCI distribution HTTP routes.
export { RegistryError } from './errors.js';
export type { RegistryErrorCode } from './errors.js';
export type {
  BlobStore,
  BlobInfo,
  ByteRange,
  UploadStatus,
  StoredBlob,
  PendingUpload,
} from './storage/blob-store.js';
export { FilesystemBlobStore } from './storage/filesystem.js';
export type {
  MetadataStore,
  ManifestRecord,
  Page,
  StoredManifest,
  ManifestInventory,
  LinkedDigest,
  ReleaseOutcome,
} from './metadata/metadata-store.js';
export { SqliteMetadataStore } from './metadata/sqlite.js';
export { checkManifest, MAX_MANIFEST_BYTES, MANIFEST_MEDIA_TYPES } from './manifest.js';
export type { CheckedManifest } from './manifest.js';
export { registerDistributionRoutes, errorResponse } from './http/routes.js';
export type { RegistryRoutesOptions } from './http/routes.js';
export { ERROR_RESPONSES } from './http/errors.js';
export { referrersIndex } from './http/discovery.js';
export type { ReferrersIndex } from './http/discovery.js';
export type { OciErrorCode, ErrorBody } from './http/errors.js';
export { createRegistryApp, startRegistryServer } from './http/server.js';
export type { RegistryAuthConfig, RegistryServer, RegistryServerOptions } from './http/server.js';
export type { RegistryHooks, HookActor, PushedManifest, GateRefusal } from './http/hooks.js';

// Authentication and authorization (accounts, roles, robots, Docker token auth): src/registry/auth.
export {
  RegistryAuthError,
  REPOSITORY_ACTIONS,
  PROJECT_ROLES,
  ANONYMOUS,
  userSubject,
  robotSubject,
  MAX_NAME_LENGTH,
  ROBOT_PREFIX,
  isValidUserName,
  isValidProjectName,
  projectOfRepository,
  robotLoginName,
  parseRobotLoginName,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_BYTES,
  assertPasswordAcceptable,
  hashPassword,
  verifyPassword,
  ROBOT_TOKEN_PREFIX,
  generateRobotToken,
  hashRobotToken,
  verifyRobotToken,
  ROLE_ACTIONS,
  authorize,
  authorizeMount,
  authorizeProjectAdmin,
  subjectLabel,
  makeDecision,
  grantedActions,
  filterCatalog,
  robotPermissionCovers,
  isExpired,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  parseScope,
  tryParseScope,
  parseScopes,
  formatScope,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  DEFAULT_CLOCK_SKEW_SECONDS,
  generateSigningKey,
  formatSigningKeyPem,
  parseSigningKeyPem,
  libtrustKeyId,
  createTokenSigner,
  createTokenVerifier,
  issueToken,
  verifyToken,
  accessAllows,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  formatBearerChallenge,
  formatBasicChallenge,
  SqliteAccountStore,
  migrateAuthSchema,
  AUTH_SCHEMA_VERSION,
  addUser,
  setUserPassword,
  addProject,
  addRobot,
  parseRole,
  ensureAdmin,
  BOOTSTRAP_ADMIN,
  authenticateBasic,
  loadProjectFacts,
  checkAccess,
  grantAccess,
  answerTokenRequest,
  authenticateRequest,
  authorizeRequest,
} from './auth/index.js';
export type {
  RegistryAuthErrorCode,
  RepositoryAction,
  ProjectRole,
  User,
  Project,
  Membership,
  RobotPermission,
  Robot,
  Subject,
  ProjectFacts,
  Decision,
  DecisionReason,
  AuthorizeOptions,
  ResourceScope,
  AccessEntry,
  TokenClaims,
  TokenSigner,
  TokenVerifier,
  IssuedToken,
  Credentials,
  AccountStore,
  UserCredentials,
  RobotCredentials,
  NewRobot,
  CreatedRobot,
  BootstrapResult,
  AuthenticationResult,
  AuthenticationFailure,
  TokenServiceOptions,
  TokenRequest,
  TokenResponseBody,
  TokenOutcome,
  RequestIdentity,
} from './auth/index.js';
export { requiredAccess } from './http/access.js';
export type { RequiredAccess } from './http/access.js';

// The audit log (pushes, pulls, deletes, logins, token requests, denials): src/registry/audit.
export {
  AUDIT_ACTIONS,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  AuditError,
  SqliteAuditLog,
  migrateAuditSchema,
  AUDIT_SCHEMA_VERSION,
} from './audit/index.js';
export type {
  AuditAction,
  AuditActorKind,
  AuditEvent,
  AuditLog,
  AuditQuery,
  AuditResult,
  StoredAuditEvent,
  AuditErrorCode,
} from './audit/index.js';

// Garbage collection (mark and sweep with a grace period): src/registry/gc.
export { collectGarbage } from './gc/index.js';
export type { GcOptions, GcReport, CollectedBlob, CollectedUpload } from './gc/index.js';

// The management API (/api/v1) and the plumbing the server layer adds routes with.
export {
  ApiError,
  API_ERROR_CODES,
  API_ERROR_STATUS,
  API_PREFIX,
  MAX_API_BODY_BYTES,
  apiComponent,
  buildOpenApiDocument,
  defineApiRoute,
  digestSchema,
  errorDoc,
  managementRoutes,
  projectNameSchema,
  registerManagementApi,
  repositoryNameSchema,
  userNameSchema,
} from './http/api/index.js';
export type {
  ApiContext,
  ApiErrorBody,
  ApiErrorCode,
  ApiExtension,
  ApiRoute,
  ApiRouteSpec,
  Caller,
  ManagementApiOptions,
  OpenApiDocument,
} from './http/api/index.js';
