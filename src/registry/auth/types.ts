// The data model of registry accounts and access. Plain data: the store reads and writes it,
// the authorization functions decide from it.

/** What a request does to a repository (OCI distribution): read, write, remove. */
export type RepositoryAction = 'pull' | 'push' | 'delete';

/** Every repository action, in the order access claims list them. */
export const REPOSITORY_ACTIONS: readonly RepositoryAction[] = ['pull', 'push', 'delete'];

/** A member's role in a project. */
export type ProjectRole = 'admin' | 'maintainer' | 'developer' | 'guest';

/** Every project role, most powerful first. */
export const PROJECT_ROLES: readonly ProjectRole[] = ['admin', 'maintainer', 'developer', 'guest'];

/** A human account. The password hash never leaves the store through this type. */
export type User = {
  readonly name: string;
  /** System administrators may do everything on every project. */
  readonly systemAdmin: boolean;
  /** Disabled accounts cannot log in and are denied every action. */
  readonly disabled: boolean;
  /** ISO 8601. */
  readonly createdAt: string;
};

/** A project: the first path component of its repositories (`team` for `team/app`). */
export type Project = {
  readonly name: string;
  /** Public projects may be pulled anonymously. */
  readonly public: boolean;
  readonly createdAt: string;
};

export type Membership = {
  readonly project: string;
  readonly user: string;
  readonly role: ProjectRole;
};

/**
 * What a robot may do: `actions` on the repositories of `project` (`*` for every project, system
 * robots only), optionally narrowed by `repository`: a full path (`team/app`) or a prefix ending
 * in `/*` (`team/ci/*`).
 */
export type RobotPermission = {
  readonly project: string;
  readonly repository?: string;
  readonly actions: readonly RepositoryAction[];
};

/** A robot account for automation. Its token is stored only as a hash. */
export type Robot = {
  /** Login name: `robot$PROJECT+NAME` for project robots, `robot$NAME` for system robots. */
  readonly name: string;
  /** The project it belongs to; undefined for a system robot. */
  readonly project: string | undefined;
  readonly permissions: readonly RobotPermission[];
  /** ISO 8601; undefined when it never expires. */
  readonly expiresAt: string | undefined;
  readonly disabled: boolean;
  readonly description: string | undefined;
  readonly createdAt: string;
};

/** Who is asking: an authenticated user or robot, or nobody. */
export type Subject =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly name: string;
      readonly systemAdmin: boolean;
      readonly disabled: boolean;
    }
  | {
      readonly kind: 'robot';
      readonly name: string;
      readonly project: string | undefined;
      readonly permissions: readonly RobotPermission[];
      readonly expiresAt: string | undefined;
      readonly disabled: boolean;
    };

/** The anonymous subject. */
export const ANONYMOUS: Subject = { kind: 'anonymous' };

/** Subject of a user account. */
export function userSubject(user: User): Subject {
  return { kind: 'user', name: user.name, systemAdmin: user.systemAdmin, disabled: user.disabled };
}

/** Subject of a robot account. */
export function robotSubject(robot: Robot): Subject {
  return {
    kind: 'robot',
    name: robot.name,
    project: robot.project,
    permissions: robot.permissions,
    expiresAt: robot.expiresAt,
    disabled: robot.disabled,
  };
}

/** What authorization needs to know about the project a repository belongs to. */
export type ProjectFacts = {
  readonly name: string;
  readonly public: boolean;
  /** The subject's role in it (users only); undefined when not a member. */
  readonly role: ProjectRole | undefined;
};
