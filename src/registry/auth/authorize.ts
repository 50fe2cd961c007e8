import {
  REPOSITORY_ACTIONS,
  type ProjectFacts,
  type ProjectRole,
  type RepositoryAction,
  type RobotPermission,
  type Subject,
} from './types.js';
import { projectOfRepository } from './names.js';

// Authorization is a pure function of who asks, what for, and facts about the project gathered
// beforehand. Every outcome is data with a reason, so the HTTP layer can answer and audit
// denials without parsing messages.

/** Why access was given or refused. */
export type DecisionReason =
  /** Allowed: the subject is a system administrator. */
  | 'system-admin'
  /** Allowed: the subject's project role includes the action. */
  | 'project-role'
  /** Allowed: pull from a public project. */
  | 'public-project'
  /** Allowed: a robot permission covers the action. */
  | 'robot-permission'
  /** Denied: the repository name is invalid or has no project component. */
  | 'invalid-repository'
  /** Denied: the project does not exist (only system administrators may create it by pushing). */
  | 'no-project'
  /** Denied: anonymous access other than pull from a public project. */
  | 'anonymous'
  /** Denied: the account is disabled. */
  | 'disabled'
  /** Denied: the robot has expired. */
  | 'expired'
  /** Denied: the user is not a member of the project. */
  | 'not-member'
  /** Denied: the user's role does not include the action. */
  | 'role-insufficient'
  /** Denied: no robot permission covers the action on this repository. */
  | 'out-of-scope'
  /** Allowed: the bearer token's access claim grants the action. */
  | 'token-access'
  /** Denied: the bearer token's access claim does not grant the action. */
  | 'token-insufficient';

/** The outcome of one authorization check, with what the audit log records. */
export type Decision = {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** `anonymous`, `user NAME` or `robot NAME`. */
  readonly subject: string;
  /** `pull`, `push`, `delete`; `mount` for {@link authorizeMount}; `manage` for {@link authorizeProjectAdmin}. */
  readonly action: RepositoryAction | 'mount' | 'manage';
  /** The repository as asked (cut at 300 characters), or the project for `manage`. */
  readonly repository: string;
  /** One sentence for logs and audit records (names only, no secrets). */
  readonly message: string;
};

/** Actions each project role grants. */
export const ROLE_ACTIONS: Readonly<Record<ProjectRole, readonly RepositoryAction[]>> = {
  admin: ['pull', 'push', 'delete'],
  maintainer: ['pull', 'push', 'delete'],
  developer: ['pull', 'push'],
  guest: ['pull'],
};

/** Options for checks that depend on the time (robot expiry). */
export type AuthorizeOptions = {
  /** Milliseconds since the epoch; default `Date.now()`. */
  readonly now?: number;
};

/** Builds a decision; exported for the bearer-token path, which decides from claims. */
export function makeDecision(
  allowed: boolean,
  reason: DecisionReason,
  who: string,
  action: Decision['action'],
  repository: string,
  why: string,
): Decision {
  const repo = repository.slice(0, 300);
  const message = `${who} ${allowed ? 'allowed' : 'denied'} ${action} on ${repo}: ${why}`;
  return { allowed, reason, subject: who, action, repository: repo, message };
}

/** How a subject is named in decisions and audit records: `anonymous`, `user NAME`, `robot NAME`. */
export function subjectLabel(subject: Subject): string {
  return subject.kind === 'anonymous' ? 'anonymous' : `${subject.kind} ${subject.name}`;
}

/** True when a robot permission covers `action` on `repository` (in project `project`). */
export function robotPermissionCovers(
  permission: RobotPermission,
  action: RepositoryAction,
  repository: string,
  project: string,
): boolean {
  if (!permission.actions.includes(action)) return false;
  if (permission.project !== '*' && permission.project !== project) return false;
  const pattern = permission.repository;
  if (pattern === undefined) return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return pattern === repository;
}

/** True when a robot's expiry (ISO 8601, or undefined for never) has passed at `now`. */
export function isExpired(expiresAt: string | undefined, now: number): boolean {
  if (expiresAt === undefined) return false;
  const t = Date.parse(expiresAt);
  // An unreadable expiry is treated as expired: fail closed.
  return Number.isNaN(t) || t <= now;
}

/**
 * Decides whether `subject` may do `action` on `repository`. `project` describes the project
 * named by the repository's first component (with the subject's role in it), or is undefined
 * when no such project exists.
 */
export function authorize(
  subject: Subject,
  action: RepositoryAction,
  repository: string,
  project: ProjectFacts | undefined,
  options: AuthorizeOptions = {},
): Decision {
  const decide = (allowed: boolean, reason: DecisionReason, why: string): Decision =>
    makeDecision(allowed, reason, subjectLabel(subject), action, repository, why);
  const projectName = projectOfRepository(repository);
  if (projectName === undefined) {
    return decide(false, 'invalid-repository', 'invalid repository name or no project component');
  }
  // Facts about another project than the repository's would be a wiring bug; refuse rather than trust them.
  const facts = project?.name === projectName ? project : undefined;
  if (subject.kind !== 'anonymous' && subject.disabled) return decide(false, 'disabled', `account disabled`);
  if (subject.kind === 'robot' && isExpired(subject.expiresAt, options.now ?? Date.now())) {
    return decide(false, 'expired', `robot expired`);
  }
  if (subject.kind === 'user' && subject.systemAdmin)
    return decide(true, 'system-admin', `system administrator`);
  if (facts === undefined) return decide(false, 'no-project', `project ${projectName} does not exist`);
  switch (subject.kind) {
    case 'anonymous':
      if (action === 'pull' && facts.public) return decide(true, 'public-project', `public project`);
      return decide(false, 'anonymous', `authentication required`);
    case 'robot': {
      const inOwnProject = subject.project === undefined || subject.project === projectName;
      if (
        inOwnProject &&
        subject.permissions.some((p) => robotPermissionCovers(p, action, repository, projectName))
      ) {
        return decide(true, 'robot-permission', `robot permission`);
      }
      return decide(false, 'out-of-scope', `outside the robot's permissions`);
    }
    case 'user': {
      const role = facts.role;
      if (role !== undefined && ROLE_ACTIONS[role].includes(action)) {
        return decide(true, 'project-role', `project role ${role}`);
      }
      if (action === 'pull' && facts.public) return decide(true, 'public-project', `public project`);
      if (role === undefined) return decide(false, 'not-member', `not a member of project ${projectName}`);
      return decide(false, 'role-insufficient', `role ${role} does not allow ${action}`);
    }
  }
}

/**
 * Decides whether `subject` may manage `project` (members, robots, visibility, policies):
 * system administrators and the project's admins. The decision's `repository` is the project name.
 */
export function authorizeProjectAdmin(
  subject: Subject,
  project: ProjectFacts | undefined,
  projectName: string,
): Decision {
  const decide = (allowed: boolean, reason: DecisionReason, why: string): Decision =>
    makeDecision(allowed, reason, subjectLabel(subject), 'manage', projectName, why);
  if (subject.kind === 'anonymous') return decide(false, 'anonymous', 'authentication required');
  if (subject.disabled) return decide(false, 'disabled', 'account disabled');
  if (subject.kind === 'user' && subject.systemAdmin)
    return decide(true, 'system-admin', 'system administrator');
  // Robots automate pushes and pulls; they never administer projects.
  if (subject.kind === 'robot') return decide(false, 'out-of-scope', 'robots cannot manage projects');
  if (project?.name !== projectName)
    return decide(false, 'no-project', `project ${projectName.slice(0, 100)} does not exist`);
  if (project.role === 'admin') return decide(true, 'project-role', 'project role admin');
  if (project.role === undefined)
    return decide(false, 'not-member', `not a member of project ${projectName.slice(0, 100)}`);
  return decide(false, 'role-insufficient', `role ${project.role} cannot manage the project`);
}

/** The repository actions out of `requested` that `subject` may do, in canonical order. */
export function grantedActions(
  subject: Subject,
  requested: readonly RepositoryAction[],
  repository: string,
  project: ProjectFacts | undefined,
  options: AuthorizeOptions = {},
): RepositoryAction[] {
  return REPOSITORY_ACTIONS.filter(
    (a) => requested.includes(a) && authorize(subject, a, repository, project, options).allowed,
  );
}

/**
 * Decides a cross-repository mount (`POST /v2/TARGET/blobs/uploads/?mount=…&from=SOURCE`): the
 * subject needs push on the target and pull on the source. The first denial is returned.
 */
export function authorizeMount(
  subject: Subject,
  target: { readonly repository: string; readonly project: ProjectFacts | undefined },
  source: { readonly repository: string; readonly project: ProjectFacts | undefined },
  options: AuthorizeOptions = {},
): Decision {
  const push = authorize(subject, 'push', target.repository, target.project, options);
  if (!push.allowed) return push;
  const pull = authorize(subject, 'pull', source.repository, source.project, options);
  // The denial names the source repository, which is what the caller lacked.
  if (!pull.allowed) return pull;
  return makeDecision(
    true,
    push.reason,
    subjectLabel(subject),
    'mount',
    target.repository,
    `push allowed, and pull on ${source.repository.slice(0, 300)}`,
  );
}

/**
 * Filters a catalog to the repositories `subject` may pull. `projectFacts` gives the facts for a
 * project name (undefined when it does not exist).
 */
export function filterCatalog(
  subject: Subject,
  repositories: readonly string[],
  projectFacts: (project: string) => ProjectFacts | undefined,
  options: AuthorizeOptions = {},
): string[] {
  const cache = new Map<string, ProjectFacts | undefined>();
  return repositories.filter((repository) => {
    const name = projectOfRepository(repository);
    if (name === undefined) return false;
    if (!cache.has(name)) cache.set(name, projectFacts(name));
    return authorize(subject, 'pull', repository, cache.get(name), options).allowed;
  });
}
