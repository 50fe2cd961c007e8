import {
  CLUSTER_SCOPED,
  WELL_KNOWN_GROUPS,
  apiGroupMatches,
  nonResourceURLMatches,
  resourceMatches,
  resourceNameMatches,
  verbMatches,
} from './match.js';
import { buildRbacModel } from './model.js';
import type { RbacModel } from './model.js';
import type {
  AccessQuery,
  EffectiveRule,
  RbacBinding,
  RbacGrant,
  RbacRole,
  RbacScope,
  RbacSubject,
  WhoCanEntry,
} from './types.js';

/** `Kind/name` for cluster-scoped objects, `Kind/namespace/name` for namespaced ones; defaults marked. */
export function rbacObjectName(o: RbacRole | RbacBinding): string {
  const base = o.namespace === undefined ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
  return 'rules' in o && o.index === undefined ? `${base} (cluster default)` : base;
}

/** A subject as people write it: `ServiceAccount test/app`, `Group system:authenticated`. */
export function formatSubject(s: RbacSubject): string {
  if (s.kind !== 'ServiceAccount') return `${s.kind} ${s.name}`;
  return s.namespace === undefined
    ? `ServiceAccount ${s.name} (no namespace: the API server rejects this subject)`
    : `ServiceAccount ${s.namespace}/${s.name}`;
}

/** The scope a binding grants in. */
export function bindingScope(b: RbacBinding): RbacScope {
  return b.kind === 'ClusterRoleBinding'
    ? { kind: 'cluster' }
    : { kind: 'namespace', namespace: b.namespace ?? 'default' };
}

/** `cluster-wide` or `in namespace X`. */
export function formatScope(s: RbacScope): string {
  return s.kind === 'cluster' ? 'cluster-wide' : `in namespace ${s.namespace}`;
}

/** Every (subject, binding, effective rule) of the model, in binding then subject then rule order. */
export function listGrants(model: RbacModel): RbacGrant[] {
  const out: RbacGrant[] = [];
  for (const binding of model.bindings) {
    const role = model.resolveRoleRef(binding);
    if (role === undefined) continue;
    const scope = bindingScope(binding);
    for (const effective of model.effectiveRules(role)) {
      const chain = [rbacObjectName(binding), ...effective.via.map(rbacObjectName)];
      for (const { subject, index } of binding.subjects)
        out.push({ subject, subjectIndex: index, binding, scope, effective, chain });
    }
  }
  return out;
}

/** Options for {@link whoCan}. */
export type WhoCanOptions = {
  /**
   * Also list the bundle's ServiceAccounts that hold the permission through the groups
   * `system:authenticated`, `system:serviceaccounts` and `system:serviceaccounts:NS` (the group
   * is then first in the chain).
   */
  readonly expandGroups?: boolean;
  /** List `Group system:masters`, which the API server lets do anything without RBAC (as rbac-tool does). */
  readonly includeSystemMasters?: boolean;
};

function splitResource(resource: string, subresource: string | undefined): [string, string | undefined] {
  const slash = resource.indexOf('/');
  if (slash < 0 || subresource !== undefined) return [resource, subresource];
  return [resource.slice(0, slash), resource.slice(slash + 1)];
}

/** Whether one effective rule, granted in `scope`, answers the query. */
export function ruleAllows(rule: EffectiveRule['rule'], scope: RbacScope, query: AccessQuery): boolean {
  if (!verbMatches(rule, query.verb)) return false;
  if ('nonResourceURL' in query) {
    // Non-resource URLs have no namespace: only ClusterRoleBindings grant them.
    return scope.kind === 'cluster' && nonResourceURLMatches(rule, query.nonResourceURL);
  }
  const [resource, subresource] = splitResource(query.resource, query.subresource);
  const group = query.apiGroup ?? WELL_KNOWN_GROUPS[resource];
  if (group === undefined ? rule.apiGroups.length === 0 : !apiGroupMatches(rule, group)) return false;
  if (!resourceMatches(rule, resource, subresource)) return false;
  if (query.name !== undefined && !resourceNameMatches(rule, query.name)) return false;
  if (scope.kind === 'namespace') {
    if (CLUSTER_SCOPED.has(resource)) return false;
    if (query.namespace !== undefined && query.namespace !== scope.namespace) return false;
  }
  return true;
}

function subjectKey(s: RbacSubject): string {
  return `${s.kind}\u0000${s.namespace ?? ''}\u0000${s.name}`;
}

/**
 * Who can do `query`: every subject the bundle's bindings grant it to, each with its scope and
 * chain (binding → role [→ aggregated-from role …]). One entry per subject, binding and chain;
 * `onlyNames` tells when `resourceNames` narrows it to some objects. Takes plain objects
 * (Role, ClusterRole, RoleBinding, ClusterRoleBinding, ServiceAccount; others are ignored).
 */
export function whoCan(
  objects: readonly Readonly<Record<string, unknown>>[] | RbacModel,
  query: AccessQuery,
  options: WhoCanOptions = {},
): WhoCanEntry[] {
  const model = 'bindings' in objects ? objects : buildRbacModel(objects);
  const entries = new Map<
    string,
    { entry: WhoCanEntry; rules: EffectiveRule[]; names: Set<string> | undefined }
  >();
  for (const g of listGrants(model)) {
    if (!ruleAllows(g.effective.rule, g.scope, query)) continue;
    const key = `${subjectKey(g.subject)}\u0001${g.chain.join('\u0002')}`;
    const names = g.effective.rule.resourceNames;
    const found = entries.get(key);
    if (found === undefined) {
      entries.set(key, {
        entry: { subject: g.subject, scope: g.scope, chain: g.chain, binding: g.binding, rules: [] },
        rules: [g.effective],
        names: names.length === 0 ? undefined : new Set(names),
      });
    } else {
      found.rules.push(g.effective);
      if (names.length === 0) found.names = undefined;
      else if (found.names !== undefined) for (const n of names) found.names.add(n);
    }
  }
  let out: WhoCanEntry[] = [...entries.values()].map(({ entry, rules, names }) => ({
    ...entry,
    rules,
    ...(names === undefined ? {} : { onlyNames: [...names].sort() }),
  }));
  if (options.expandGroups === true) out = [...out, ...expandServiceAccountGroups(model, out)];
  if (options.includeSystemMasters === true) {
    out.push({
      subject: { kind: 'Group', name: 'system:masters' },
      scope: { kind: 'cluster' },
      chain: ['Group/system:masters (API server superuser)'],
      rules: [],
    });
  }
  return out;
}

function expandServiceAccountGroups(model: RbacModel, entries: readonly WhoCanEntry[]): WhoCanEntry[] {
  const out: WhoCanEntry[] = [];
  for (const e of entries) {
    if (e.subject.kind !== 'Group') continue;
    const prefix = 'system:serviceaccounts';
    // Every ServiceAccount is in system:authenticated and system:serviceaccounts.
    const ns =
      e.subject.name === prefix || e.subject.name === 'system:authenticated'
        ? undefined
        : e.subject.name.startsWith(`${prefix}:`)
          ? e.subject.name.slice(prefix.length + 1)
          : '';
    if (ns === '') continue;
    for (const sa of model.serviceAccounts) {
      if (ns !== undefined && sa.namespace !== ns) continue;
      out.push({
        ...e,
        subject: { kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace },
        chain: [`Group/${e.subject.name}`, ...e.chain],
      });
    }
  }
  return out;
}
