import type { FastifyRequest } from 'fastify';
import type { Logger } from '../../../core/index.js';
import type { AuditLog } from '../../audit/index.js';
import {
  ANONYMOUS,
  ROBOT_PREFIX,
  authenticateRequest,
  authorizeProjectAdmin,
  checkAccess,
  isExpired,
  loadProjectFacts,
  robotSubject,
  userSubject,
  type AccountStore,
  type Project,
  type Subject,
  type TokenVerifier,
} from '../../auth/index.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { actorOfFailedLogin, actorOfSubject, recordAudit, requestFacts } from '../audit.js';
import { ApiError } from './errors.js';
import type { ApiChange } from './route.js';

// Who is calling the management API and what they may do. Authentication reuses the
// registry's (authenticateRequest: Basic with a password or robot token, or a Bearer token from
// /token); a token only identifies its holder here, whose account is then read again, so a
// disabled or demoted account loses the API at once. Refusals are written to the audit log.

/** An authenticated caller (anonymous only on public routes). */
export type Caller = {
  readonly subject: Subject;
};

/** What the management API works on, handed to every handler. */
export type ApiContext = {
  readonly store: AccountStore;
  readonly metadata: MetadataStore;
  readonly audit: AuditLog | undefined;
  readonly logger: Logger | undefined;
  /** The OpenAPI document of the routes registered, served at /api/v1/openapi.json. */
  readonly document: Readonly<Record<string, unknown>>;
  /**
   * Records a refusal and returns the error to throw: 403 DENIED with `message`.
   * `repository` is the project or repository refused, for the audit record.
   */
  deny(req: FastifyRequest, caller: Caller, message: string, repository?: string): ApiError;
  /** Records a change that went through as a `manage` audit event (see ApiRouteSpec.change). */
  recordChange(req: FastifyRequest, caller: Caller, change: ApiChange, status: number): void;
  /** Throws 403 DENIED (recorded) unless the caller is an enabled system administrator. */
  requireSystemAdmin(req: FastifyRequest, caller: Caller, what: string): void;
  /**
   * The project, when the caller may see it (system administrators, members, anyone for a
   * public project, robots holding a permission in it).
   * @throws ApiError NOT_FOUND when it does not exist or the caller may not see it (its
   * existence is not revealed).
   */
  visibleProject(caller: Caller, name: string): Promise<Project>;
  /**
   * The project, when the caller administers it (system administrator or project admin).
   * @throws ApiError NOT_FOUND as visibleProject; DENIED (recorded) for a member without admin.
   */
  requireProjectAdmin(req: FastifyRequest, caller: Caller, name: string, what: string): Promise<Project>;
  /** Throws 403 DENIED (recorded) unless the caller may pull `repository`. */
  requirePull(req: FastifyRequest, caller: Caller, repository: string): Promise<void>;
};

/** What building the context needs. */
export type ApiContextDeps = {
  readonly store: AccountStore;
  readonly verifier: TokenVerifier;
  readonly metadata: MetadataStore;
  readonly audit: AuditLog | undefined;
  readonly logger: Logger | undefined;
};

/** True when the subject is an enabled system administrator. */
export function isActiveSystemAdmin(subject: Subject): boolean {
  return subject.kind === 'user' && subject.systemAdmin && !subject.disabled;
}

/**
 * Authenticates a request: the caller, anonymous when no credentials came.
 * @throws ApiError UNAUTHORIZED (the failed login is recorded) for credentials that do not
 * authenticate, or a token whose account no longer exists or is disabled or expired.
 */
export async function authenticateCaller(deps: ApiContextDeps, req: FastifyRequest): Promise<Caller> {
  const auth = req.headers.authorization;
  const identity = await authenticateRequest(
    { store: deps.store, verifier: deps.verifier },
    typeof auth === 'string' ? auth : undefined,
  );
  const fail = (username: string | undefined, reason: string): ApiError => {
    recordAudit(
      deps.audit,
      {
        ...requestFacts(req),
        ...actorOfFailedLogin(username),
        action: 'login',
        result: 'failure',
        reason,
        status: 401,
      },
      deps.logger,
    );
    return new ApiError('UNAUTHORIZED', 'authentication failed');
  };
  switch (identity.kind) {
    case 'failed':
      throw fail(identity.username, identity.reason);
    case 'anonymous':
      return { subject: ANONYMOUS };
    case 'basic':
      return { subject: identity.subject };
    case 'bearer': {
      const sub = identity.claims.sub;
      if (sub === '') return { subject: ANONYMOUS };
      if (sub.startsWith(ROBOT_PREFIX)) {
        const robot = (await deps.store.getRobotCredentials(sub))?.robot;
        if (robot === undefined) throw fail(sub, 'unknown-account');
        if (robot.disabled) throw fail(sub, 'disabled');
        if (isExpired(robot.expiresAt, Date.now())) throw fail(sub, 'expired');
        return { subject: robotSubject(robot) };
      }
      const user = await deps.store.getUser(sub);
      if (user === undefined) throw fail(sub, 'unknown-account');
      if (user.disabled) throw fail(sub, 'disabled');
      return { subject: userSubject(user) };
    }
  }
}

/** The management API's context over its stores. */
export function createApiContext(
  deps: ApiContextDeps,
  document: Readonly<Record<string, unknown>>,
): ApiContext {
  const { store } = deps;
  const deny = (req: FastifyRequest, caller: Caller, message: string, repository?: string): ApiError => {
    recordAudit(
      deps.audit,
      {
        ...requestFacts(req),
        ...actorOfSubject(caller.subject),
        action: 'denied',
        repository,
        result: 'failure',
        reason: message,
        status: 403,
      },
      deps.logger,
    );
    return new ApiError('DENIED', message);
  };
  const visibleProject = async (caller: Caller, name: string): Promise<Project> => {
    const project = await store.getProject(name);
    const subject = caller.subject;
    const visible =
      project !== undefined &&
      (project.public ||
        isActiveSystemAdmin(subject) ||
        (subject.kind === 'user' && (await store.getRole(name, subject.name)) !== undefined) ||
        (subject.kind === 'robot' &&
          subject.permissions.some((p) => p.project === name || p.project === '*')));
    if (project === undefined || !visible)
      throw new ApiError('NOT_FOUND', `no project "${name.slice(0, 64)}"`);
    return project;
  };
  return {
    store,
    metadata: deps.metadata,
    audit: deps.audit,
    logger: deps.logger,
    document,
    deny,
    recordChange(req, caller, change, status) {
      recordAudit(
        deps.audit,
        {
          ...requestFacts(req),
          ...actorOfSubject(caller.subject),
          action: 'manage',
          repository: change.project,
          target: change.what,
          result: 'success',
          status,
        },
        deps.logger,
      );
    },
    requireSystemAdmin(req, caller, what) {
      if (!isActiveSystemAdmin(caller.subject))
        throw deny(req, caller, `${what} needs a system administrator`);
    },
    visibleProject,
    async requireProjectAdmin(req, caller, name, what) {
      const project = await visibleProject(caller, name);
      const facts = await loadProjectFacts(store, caller.subject, name);
      const decision = authorizeProjectAdmin(caller.subject, facts, name);
      if (!decision.allowed)
        throw deny(req, caller, `${what} needs an administrator of project ${name}`, name);
      return project;
    },
    async requirePull(req, caller, repository) {
      const decision = await checkAccess(store, caller.subject, 'pull', repository);
      if (!decision.allowed) throw deny(req, caller, `pull on ${repository} is not allowed`, repository);
    },
  };
}
