import { truncateForMessage } from '../../core/index.js';
import { isValidRepositoryPath } from '../../imageref/index.js';
import { RegistryAuthError } from './errors.js';
import { REPOSITORY_ACTIONS, type RepositoryAction } from './types.js';

// Docker token scopes (distribution docs/spec/auth/scope.md):
//   scope := resourcetype ":" resourcename ":" action *( "," action )
// Repository names contain no ":" in this registry (no hostname component), so the name is
// everything between the first and the last colon and a name with a colon is refused.

/** Longest single scope string looked at. */
export const MAX_SCOPE_LENGTH = 512;
/** Most scopes accepted in one token request. */
export const MAX_SCOPES = 32;

/** One parsed scope. */
export type ResourceScope =
  | { readonly type: 'repository'; readonly name: string; readonly actions: readonly RepositoryAction[] }
  | { readonly type: 'registry'; readonly name: 'catalog'; readonly actions: readonly ['*'] };

/** One entry of a token's `access` claim (Docker token spec). */
export type AccessEntry = {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
};

const ACTION_RE = /^[a-z*]{1,16}$/;

function invalid(scope: string, why: string): RegistryAuthError {
  return new RegistryAuthError('SCOPE_INVALID', `invalid scope "${truncateForMessage(scope, 100)}": ${why}`);
}

/**
 * Parses one scope: `repository:NAME:pull,push`, `repository:NAME:*` (all of pull, push and
 * delete) or `registry:catalog:*`. Throws SCOPE_INVALID for anything else: unknown types or
 * actions, invalid repository names, empty parts, over-long input.
 */
export function parseScope(scope: string): ResourceScope {
  if (scope.length > MAX_SCOPE_LENGTH) throw invalid(scope, `longer than ${MAX_SCOPE_LENGTH} characters`);
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) throw invalid(scope, 'expected TYPE:NAME:ACTIONS');
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const rawActions = scope.slice(last + 1).split(',');
  if (rawActions.some((a) => !ACTION_RE.test(a)))
    throw invalid(scope, 'actions must be comma-separated words');
  if (type === 'registry') {
    if (name !== 'catalog' || rawActions.length !== 1 || rawActions[0] !== '*') {
      throw invalid(scope, 'the only registry scope is registry:catalog:*');
    }
    return { type: 'registry', name: 'catalog', actions: ['*'] };
  }
  if (type !== 'repository') throw invalid(scope, 'the type must be repository or registry');
  if (!isValidRepositoryPath(name)) {
    throw invalid(scope, 'the repository name must follow the distribution grammar (lower-case, no host)');
  }
  const actions = new Set<RepositoryAction>();
  for (const a of rawActions) {
    if (a === '*') REPOSITORY_ACTIONS.forEach((x) => actions.add(x));
    else if (a === 'pull' || a === 'push' || a === 'delete') actions.add(a);
    else throw invalid(scope, `unknown action ${a} (expected pull, push, delete or *)`);
  }
  return { type: 'repository', name, actions: REPOSITORY_ACTIONS.filter((a) => actions.has(a)) };
}

/** {@link parseScope} returning undefined instead of throwing. */
export function tryParseScope(scope: string): ResourceScope | undefined {
  try {
    return parseScope(scope);
  } catch {
    return undefined;
  }
}

/**
 * Parses the `scope` query parameters of a token request: each value may hold several scopes
 * separated by spaces. Scopes for the same repository are merged. Throws SCOPE_INVALID for any
 * invalid scope or more than {@link MAX_SCOPES}.
 */
export function parseScopes(values: readonly string[]): ResourceScope[] {
  const parts: string[] = [];
  for (const v of values) {
    if (v.length > MAX_SCOPE_LENGTH * MAX_SCOPES) throw invalid(v, 'scope parameter too long');
    for (const p of v.split(' ')) {
      if (p === '') continue;
      parts.push(p);
      if (parts.length > MAX_SCOPES) throw invalid(p, `more than ${MAX_SCOPES} scopes in one request`);
    }
  }
  const repos = new Map<string, Set<RepositoryAction>>();
  let catalog = false;
  for (const p of parts) {
    const s = parseScope(p);
    if (s.type === 'registry') catalog = true;
    else {
      const set = repos.get(s.name) ?? new Set<RepositoryAction>();
      s.actions.forEach((a) => set.add(a));
      repos.set(s.name, set);
    }
  }
  const out: ResourceScope[] = [...repos].map(([name, set]) => ({
    type: 'repository',
    name,
    actions: REPOSITORY_ACTIONS.filter((a) => set.has(a)),
  }));
  if (catalog) out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
  return out;
}

/** Formats a scope back to its string form (`repository:team/app:pull,push`). */
export function formatScope(scope: ResourceScope | AccessEntry): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}
