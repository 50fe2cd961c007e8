import { checkName, matchRoute, splitUrl } from './paths.js';

/**
 * What a request needs, in the shape of a Docker token scope (`repository:NAME:pull,push`).
 * The authorization layer compares it with what the caller holds; the distribution routes
 * themselves know nothing of callers.
 */
export type RequiredAccess = {
  readonly type: 'repository';
  readonly name: string;
  readonly actions: readonly ('pull' | 'push' | 'delete')[];
};

/**
 * The access a distribution request needs: pull to read, pull and push to upload or push a
 * manifest (clients ask for both), delete to delete, and for a cross-repository mount pull on
 * the source too (spec "Mounting a blob from another repository"). The ping and the catalog
 * need none here: the ping only authenticates, and the catalog is filtered per caller.
 * @throws RegistryError NAME_INVALID for a malformed repository name (in the path or `from`).
 */
export function requiredAccess(method: string, url: string): RequiredAccess[] {
  const { pathname, query } = splitUrl(url);
  const route = matchRoute(pathname);
  if (route === undefined) return [];
  const repo = (name: string, actions: RequiredAccess['actions']): RequiredAccess => ({
    type: 'repository',
    name: checkName(name),
    actions,
  });
  switch (route.kind) {
    case 'ping':
    case 'catalog':
      return [];
    case 'tags':
    case 'referrers':
      return [repo(route.name, ['pull'])];
    case 'manifest':
    case 'blob':
      if (method === 'DELETE') return [repo(route.name, ['delete'])];
      if (method === 'PUT') return [repo(route.name, ['pull', 'push'])];
      return [repo(route.name, ['pull'])];
    case 'uploads': {
      const target = repo(route.name, ['pull', 'push']);
      const from = query.get('from') ?? '';
      if (method === 'POST' && route.id === '' && query.has('mount') && from !== '') {
        if (from === route.name) return [target];
        return [target, repo(from, ['pull'])];
      }
      return [target];
    }
  }
}
