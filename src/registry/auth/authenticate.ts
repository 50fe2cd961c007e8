import { authorize, grantedActions, isExpired, type AuthorizeOptions, type Decision } from './authorize.js';
import { isValidUserName, parseRobotLoginName, projectOfRepository, ROBOT_PREFIX } from './names.js';
import { burnPasswordCheck, verifyPassword } from './password.js';
import { verifyRobotToken } from './robot-token.js';
import type { AccessEntry, ResourceScope } from './scope.js';
import type { AccountStore } from './store.js';
import {
  robotSubject,
  userSubject,
  type ProjectFacts,
  type RepositoryAction,
  type Subject,
} from './types.js';

// Authentication and the store-backed side of authorization: look up what the pure functions
// need, then call them. Failures are data with a reason for the audit log; the client is only
// ever told "authentication failed", whatever the reason.

/** Why authentication failed. */
export type AuthenticationFailure = 'unknown-account' | 'wrong-secret' | 'disabled' | 'expired';

/** The outcome of checking credentials. */
export type AuthenticationResult =
  | { readonly ok: true; readonly subject: Subject }
  | { readonly ok: false; readonly reason: AuthenticationFailure; readonly username: string };

function failed(reason: AuthenticationFailure, username: string): AuthenticationResult {
  return { ok: false, reason, username: username.slice(0, 140) };
}

/**
 * Checks a username and password (or robot login name and token), as sent with Basic
 * authentication. Users are verified with argon2id; unknown names cost the same argon2 work so
 * their existence is not revealed by timing. Robots are compared by token hash in constant time.
 */
export async function authenticateBasic(
  store: AccountStore,
  username: string,
  secret: string,
  options: AuthorizeOptions = {},
): Promise<AuthenticationResult> {
  if (username.startsWith(ROBOT_PREFIX)) {
    const creds =
      parseRobotLoginName(username) === undefined ? undefined : await store.getRobotCredentials(username);
    if (creds === undefined) {
      verifyRobotToken('sha256:0', secret);
      return failed('unknown-account', username);
    }
    if (!verifyRobotToken(creds.tokenHash, secret)) return failed('wrong-secret', username);
    if (creds.robot.disabled) return failed('disabled', username);
    if (isExpired(creds.robot.expiresAt, options.now ?? Date.now())) return failed('expired', username);
    return { ok: true, subject: robotSubject(creds.robot) };
  }
  const creds = isValidUserName(username) ? await store.getUserCredentials(username) : undefined;
  if (creds === undefined) {
    await burnPasswordCheck(secret);
    return failed('unknown-account', username);
  }
  if (!(await verifyPassword(creds.passwordHash, secret))) return failed('wrong-secret', username);
  if (creds.user.disabled) return failed('disabled', username);
  return { ok: true, subject: userSubject(creds.user) };
}

/** The facts about `project` that authorizing `subject` needs; undefined when it does not exist. */
export async function loadProjectFacts(
  store: AccountStore,
  subject: Subject,
  project: string,
): Promise<ProjectFacts | undefined> {
  const p = await store.getProject(project);
  if (p === undefined) return undefined;
  const role = subject.kind === 'user' ? await store.getRole(project, subject.name) : undefined;
  return { name: p.name, public: p.public, role };
}

/** {@link authorize} with the project facts looked up in `store`. */
export async function checkAccess(
  store: AccountStore,
  subject: Subject,
  action: RepositoryAction,
  repository: string,
  options: AuthorizeOptions = {},
): Promise<Decision> {
  const project = projectOfRepository(repository);
  const facts = project === undefined ? undefined : await loadProjectFacts(store, subject, project);
  return authorize(subject, action, repository, facts, options);
}

/**
 * The `access` claim for a token request: for each requested scope, only the actions the
 * subject is allowed; scopes with nothing granted are left out. `registry:catalog:*` is granted
 * to every active subject, because the catalog is filtered by pull access when it is listed.
 */
export async function grantAccess(
  store: AccountStore,
  subject: Subject,
  scopes: readonly ResourceScope[],
  options: AuthorizeOptions = {},
): Promise<AccessEntry[]> {
  const out: AccessEntry[] = [];
  const facts = new Map<string, ProjectFacts | undefined>();
  const inactive =
    subject.kind !== 'anonymous' &&
    (subject.disabled ||
      (subject.kind === 'robot' && isExpired(subject.expiresAt, options.now ?? Date.now())));
  for (const scope of scopes) {
    if (scope.type === 'registry') {
      if (!inactive) out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      continue;
    }
    const project = projectOfRepository(scope.name);
    if (project === undefined) continue;
    if (!facts.has(project)) facts.set(project, await loadProjectFacts(store, subject, project));
    const actions = grantedActions(subject, scope.actions, scope.name, facts.get(project), options);
    if (actions.length > 0) out.push({ type: 'repository', name: scope.name, actions });
  }
  return out;
}
