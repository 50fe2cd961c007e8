export { RegistryAuthError } from './errors.js';
export type { RegistryAuthErrorCode } from './errors.js';
export type {
  RepositoryAction,
  ProjectRole,
  User,
  Project,
  Membership,
  RobotPermission,
  Robot,
  Subject,
  ProjectFacts,
} from './types.js';
export { REPOSITORY_ACTIONS, PROJECT_ROLES, ANONYMOUS, userSubject, robotSubject } from './types.js';
export {
  MAX_NAME_LENGTH,
  ROBOT_PREFIX,
  isValidUserName,
  isValidProjectName,
  projectOfRepository,
  robotLoginName,
  parseRobotLoginName,
} from './names.js';
export {
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_BYTES,
  assertPasswordAcceptable,
  hashPassword,
  verifyPassword,
} from './password.js';
export { ROBOT_TOKEN_PREFIX, generateRobotToken, hashRobotToken, verifyRobotToken } from './robot-token.js';
export type { Decision, DecisionReason, AuthorizeOptions } from './authorize.js';
export {
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
} from './authorize.js';
export type { ResourceScope, AccessEntry } from './scope.js';
export {
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  parseScope,
  tryParseScope,
  parseScopes,
  formatScope,
} from './scope.js';
export type { TokenClaims, TokenSigner, TokenVerifier, IssuedToken } from './token.js';
export {
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
} from './token.js';
export type { Credentials } from './http-auth.js';
export {
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  formatBearerChallenge,
  formatBasicChallenge,
} from './http-auth.js';
export type { AccountStore, UserCredentials, RobotCredentials, NewRobot } from './store.js';
export { SqliteAccountStore, migrateAuthSchema, AUTH_SCHEMA_VERSION } from './sqlite-store.js';
export type { CreatedRobot, BootstrapResult } from './accounts.js';
export {
  addUser,
  setUserPassword,
  addProject,
  addRobot,
  parseRole,
  ensureAdmin,
  BOOTSTRAP_ADMIN,
} from './accounts.js';
export type { AuthenticationResult, AuthenticationFailure } from './authenticate.js';
export { authenticateBasic, loadProjectFacts, checkAccess, grantAccess } from './authenticate.js';
export type { TokenServiceOptions, TokenRequest, TokenResponseBody, TokenOutcome } from './token-service.js';
export { answerTokenRequest } from './token-service.js';
export type { RequestIdentity } from './request-auth.js';
export { authenticateRequest, authorizeRequest } from './request-auth.js';
