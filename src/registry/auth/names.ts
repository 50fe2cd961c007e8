import { truncateForMessage } from '../../core/index.js';
import { isValidRepositoryPath } from '../../imageref/index.js';
import { RegistryAuthError } from './errors.js';

// Names are checked once, where they enter (store writes, credentials, scopes), with anchored
// patterns and length caps so that hostile input is refused before it reaches SQL or a token.

/** Longest user, project or robot short name. */
export const MAX_NAME_LENGTH = 64;

const USER_RE = /^[a-z0-9](?:[a-z0-9._@-]{0,62}[a-z0-9])?$/;
/** Prefix of every robot login name (Harbor's convention, so users and robots never collide). */
export const ROBOT_PREFIX = 'robot$';

/** True for a user name: lower-case letters, digits and `._@-`, 1–64 characters. */
export function isValidUserName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && USER_RE.test(name);
}

/** True for a project name: one repository path component (`team`, `my-team`), at most 64 characters. */
export function isValidProjectName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && !name.includes('/') && isValidRepositoryPath(name);
}

/**
 * The project a repository belongs to: its first path component. Undefined when the repository
 * name is not valid by the distribution grammar (uppercase, `..`, empty components, too long) or
 * has a single component (every repository lives in a project: `team/app`, not `app`).
 */
export function projectOfRepository(repository: string): string | undefined {
  if (!isValidRepositoryPath(repository)) return undefined;
  const slash = repository.indexOf('/');
  return slash <= 0 ? undefined : repository.slice(0, slash);
}

/** Throws NAME_INVALID unless `name` is a valid user name. */
export function assertUserName(name: string): void {
  if (!isValidUserName(name)) {
    throw new RegistryAuthError(
      'NAME_INVALID',
      `invalid user name "${truncateForMessage(name, 80)}": expected 1–${MAX_NAME_LENGTH} lower-case letters, digits, ".", "_", "@" or "-", starting and ending with a letter or digit`,
    );
  }
}

/** Throws NAME_INVALID unless `name` is a valid project (or robot short) name. */
export function assertProjectName(name: string, what = 'project'): void {
  if (!isValidProjectName(name)) {
    throw new RegistryAuthError(
      'NAME_INVALID',
      `invalid ${what} name "${truncateForMessage(name, 80)}": expected one repository path component (lower-case letters and digits, separated by ".", "_", "__" or dashes), at most ${MAX_NAME_LENGTH} characters`,
    );
  }
}

/** Login name of a robot: `robot$PROJECT+NAME`, or `robot$NAME` for a system robot. */
export function robotLoginName(name: string, project: string | undefined): string {
  return project === undefined ? `${ROBOT_PREFIX}${name}` : `${ROBOT_PREFIX}${project}+${name}`;
}

/** Splits a robot login name into project and short name; undefined when it is not one. */
export function parseRobotLoginName(
  login: string,
): { project: string | undefined; name: string } | undefined {
  if (!login.startsWith(ROBOT_PREFIX) || login.length > ROBOT_PREFIX.length + 2 * MAX_NAME_LENGTH + 1) {
    return undefined;
  }
  const rest = login.slice(ROBOT_PREFIX.length);
  const plus = rest.indexOf('+');
  const project = plus < 0 ? undefined : rest.slice(0, plus);
  const name = plus < 0 ? rest : rest.slice(plus + 1);
  if (project !== undefined && !isValidProjectName(project)) return undefined;
  if (!isValidProjectName(name)) return undefined;
  return { project, name };
}
