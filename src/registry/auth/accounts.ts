import { randomBytes } from 'node:crypto';
import { truncateForMessage } from '../../core/index.js';
import { RegistryAuthError } from './errors.js';
import { assertProjectName, assertUserName, isValidProjectName, robotLoginName } from './names.js';
import { assertPasswordAcceptable, hashPassword } from './password.js';
import { generateRobotToken, hashRobotToken } from './robot-token.js';
import type { AccountStore } from './store.js';
import {
  PROJECT_ROLES,
  REPOSITORY_ACTIONS,
  type Project,
  type ProjectRole,
  type Robot,
  type RobotPermission,
  type User,
} from './types.js';
import { isValidRepositoryPath } from '../../imageref/index.js';

// Account management on top of an AccountStore: the rules (names, password length, hashing,
// robot permissions, token generation) that every store shares. The CLI and the management
// API call these, never the store's write methods directly.

/** Creates a user with an argon2id-hashed password. Throws NAME_INVALID, PASSWORD_INVALID, ALREADY_EXISTS. */
export async function addUser(
  store: AccountStore,
  input: { readonly name: string; readonly password: string; readonly systemAdmin?: boolean },
): Promise<User> {
  assertUserName(input.name);
  const passwordHash = await hashPassword(input.password);
  return store.createUser({ name: input.name, passwordHash, systemAdmin: input.systemAdmin ?? false });
}

/** Replaces a user's password. Throws PASSWORD_INVALID, NOT_FOUND. */
export async function setUserPassword(store: AccountStore, name: string, password: string): Promise<User> {
  return store.updateUser(name, { passwordHash: await hashPassword(password) });
}

/** Creates a project. Throws NAME_INVALID, ALREADY_EXISTS. */
export async function addProject(
  store: AccountStore,
  input: { readonly name: string; readonly public?: boolean },
): Promise<Project> {
  assertProjectName(input.name);
  return store.createProject({ name: input.name, public: input.public ?? false });
}

/** Parses a role name. Throws PERMISSION_INVALID. */
export function parseRole(role: string): ProjectRole {
  const found = PROJECT_ROLES.find((r) => r === role);
  if (found === undefined) {
    throw new RegistryAuthError(
      'PERMISSION_INVALID',
      `unknown role "${truncateForMessage(role, 40)}" (expected ${PROJECT_ROLES.join(', ')})`,
    );
  }
  return found;
}

function checkPermission(p: RobotPermission, project: string | undefined): void {
  const bad = (why: string): RegistryAuthError =>
    new RegistryAuthError('PERMISSION_INVALID', `invalid robot permission: ${why}`);
  if (p.actions.length === 0 || p.actions.some((a) => !REPOSITORY_ACTIONS.includes(a))) {
    throw bad('actions must be a non-empty list of pull, push, delete');
  }
  if (project !== undefined && p.project !== project) {
    throw bad(`a robot of project ${project} may only hold permissions in ${project}`);
  }
  if (p.project !== '*' && !isValidProjectName(p.project))
    throw bad(`invalid project "${truncateForMessage(p.project, 80)}"`);
  if (p.repository !== undefined) {
    const path = p.repository.endsWith('/*') ? p.repository.slice(0, -2) : p.repository;
    if (p.project === '*' || !isValidRepositoryPath(path) || !`${path}/`.startsWith(`${p.project}/`)) {
      throw bad(
        `repository "${truncateForMessage(p.repository, 80)}" must be a path or a prefix ending in /* inside project ${p.project}`,
      );
    }
  }
}

/** A robot just created, with its token: the only time the token is available. */
export type CreatedRobot = { readonly robot: Robot; readonly token: string };

/**
 * Creates a robot account with a fresh token, stored only as a hash and returned once. A
 * project robot's permissions must all be in its project. Throws NAME_INVALID,
 * PERMISSION_INVALID, ALREADY_EXISTS, NOT_FOUND (project).
 */
export async function addRobot(
  store: AccountStore,
  input: {
    /** Short name; the login name becomes `robot$PROJECT+NAME` or `robot$NAME`. */
    readonly name: string;
    readonly project?: string;
    readonly permissions: readonly RobotPermission[];
    /** ISO 8601 or a Date; undefined: never expires. */
    readonly expiresAt?: Date;
    readonly description?: string;
  },
): Promise<CreatedRobot> {
  assertProjectName(input.name, 'robot');
  if (input.project !== undefined) assertProjectName(input.project);
  if (input.permissions.length === 0) {
    throw new RegistryAuthError('PERMISSION_INVALID', 'a robot needs at least one permission');
  }
  input.permissions.forEach((p) => {
    checkPermission(p, input.project);
  });
  if (input.expiresAt !== undefined && Number.isNaN(input.expiresAt.getTime())) {
    throw new RegistryAuthError('PERMISSION_INVALID', 'robot expiry is not a valid date');
  }
  const token = generateRobotToken();
  const robot = await store.createRobot({
    name: robotLoginName(input.name, input.project),
    project: input.project,
    permissions: input.permissions.map((p) => ({
      project: p.project,
      ...(p.repository !== undefined ? { repository: p.repository } : {}),
      actions: REPOSITORY_ACTIONS.filter((a) => p.actions.includes(a)),
    })),
    expiresAt: input.expiresAt?.toISOString(),
    description: input.description?.slice(0, 1024),
    tokenHash: hashRobotToken(token),
  });
  return { robot, token };
}

/** Name of the account created on first start. */
export const BOOTSTRAP_ADMIN = 'admin';

/** What {@link ensureAdmin} did. */
export type BootstrapResult =
  | { readonly created: false }
  /** `generatedPassword` is set only when no password was given: print it once, store it nowhere. */
  | { readonly created: true; readonly user: User; readonly generatedPassword: string | undefined };

/**
 * First-start bootstrap: when no user exists yet, creates the system administrator `admin`
 * with `password` (e.g. from PORTCULLIS_ADMIN_PASSWORD) or a random one returned once. Does
 * nothing when any user exists. Throws PASSWORD_INVALID for a given password that is too short.
 */
export async function ensureAdmin(
  store: AccountStore,
  opts: { readonly password?: string } = {},
): Promise<BootstrapResult> {
  if (opts.password !== undefined) assertPasswordAcceptable(opts.password);
  if ((await store.listUsers()).length > 0) return { created: false };
  const generatedPassword = opts.password === undefined ? randomBytes(18).toString('base64url') : undefined;
  const user = await addUser(store, {
    name: BOOTSTRAP_ADMIN,
    password: opts.password ?? generatedPassword ?? '',
    systemAdmin: true,
  });
  return { created: true, user, generatedPassword };
}
