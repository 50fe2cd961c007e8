import type { Severity } from '../../report/index.js';
import { isFullWildcard } from './match.js';
import { buildRbacModel } from './model.js';
import type { RbacModel } from './model.js';
import type {
  AccessQuery,
  EffectiveRule,
  PolicyRule,
  RbacBinding,
  RbacGrant,
  RbacRole,
  RbacScope,
  RbacSubject,
} from './types.js';
import { formatScope, formatSubject, listGrants, rbacObjectName, ruleAllows } from './whocan.js';

/** One RBAC finding on a plain object of the input list (the rule adapts it to a LoadedObject). */
export type RbacFinding = {
  /** Index of the binding or role in the objects given. */
  readonly objectIndex: number;
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly severity: Severity;
  readonly chain?: readonly string[];
};

/** A permission a check looks for, e.g. `get` on core `secrets`. */
export type Permission = { readonly verb: string; readonly resource: string; readonly apiGroup: string };

/** What a permission check reports and how severe it is. */
export type PermissionCheck = {
  readonly permissions: readonly Permission[];
  /** Words after "can": given the matched `verb resource` groups, e.g. `get, list and watch Secrets`. */
  readonly describe: (matched: readonly Permission[]) => string;
  /** What the permission lets the holder do, appended to the message. */
  readonly consequence?: (scope: RbacScope) => string;
  readonly severity: (scope: RbacScope, limited: boolean) => Severity;
  /**
   * Leave out grants through a `*`/`*`/`*` rule, which PC-K8S-047 reports once as cluster-admin
   * rather than once per dangerous permission.
   */
  readonly skipFullWildcard: boolean;
};

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

/**
 * Groups permissions by resource, then resources by their verbs:
 * `create pods; create, update and patch deployments and jobs`.
 */
export function describeByResource(matched: readonly Permission[]): string {
  const byResource = new Map<string, string[]>();
  for (const p of matched) {
    const verbs = byResource.get(p.resource) ?? [];
    if (!verbs.includes(p.verb)) verbs.push(p.verb);
    byResource.set(p.resource, verbs);
  }
  const byVerbs = new Map<string, { verbs: string[]; resources: string[] }>();
  for (const [resource, verbs] of byResource) {
    const key = verbs.join(',');
    const group = byVerbs.get(key) ?? { verbs, resources: [] };
    group.resources.push(resource);
    byVerbs.set(key, group);
  }
  return [...byVerbs.values()].map((g) => `${joinWords(g.verbs)} ${joinWords(g.resources)}`).join('; ');
}

function queryOf(p: Permission): AccessQuery {
  return { verb: p.verb, resource: p.resource, apiGroup: p.apiGroup };
}

type Match = {
  readonly matched: Permission[];
  readonly first: EffectiveRule;
  readonly names: Set<string> | undefined;
};

/** Which permissions a set of effective rules grants in a scope; `names` is set when all are resourceNames-limited. */
function matchRules(
  check: PermissionCheck,
  rules: readonly EffectiveRule[],
  scope: RbacScope,
): Match | undefined {
  const matched: Permission[] = [];
  let first: EffectiveRule | undefined;
  let firstUnlimited: EffectiveRule | undefined;
  let names: Set<string> | undefined = new Set();
  for (const p of check.permissions) {
    let hit = false;
    for (const e of rules) {
      if (check.skipFullWildcard && isFullWildcard(e.rule) && e.rule.resourceNames.length === 0) continue;
      if (!ruleAllows(e.rule, scope, queryOf(p))) continue;
      hit = true;
      first ??= e;
      if (e.rule.resourceNames.length === 0) {
        firstUnlimited ??= e;
        names = undefined;
      } else if (names !== undefined) {
        for (const n of e.rule.resourceNames) names.add(n);
      }
    }
    if (hit) matched.push(p);
  }
  if (first === undefined) return undefined;
  return { matched, first: firstUnlimited ?? first, names };
}

function onlyNamesText(names: Set<string> | undefined): string {
  return names === undefined
    ? ''
    : `, but only the objects named ${joinWords([...names].sort())} (resourceNames)`;
}

function roleScope(role: RbacRole): RbacScope {
  return role.kind === 'Role'
    ? { kind: 'namespace', namespace: role.namespace ?? 'default' }
    : { kind: 'cluster' };
}

/** The roles some binding of the bundle reaches (directly or through aggregation). */
export function boundRoles(model: RbacModel): Set<RbacRole> {
  const out = new Set<RbacRole>();
  for (const b of model.bindings) {
    const role = model.resolveRoleRef(b);
    if (role === undefined) continue;
    out.add(role);
    for (const e of model.effectiveRules(role)) for (const r of e.via) out.add(r);
  }
  return out;
}

/**
 * Runs a permission check over a bundle: one finding per binding and subject holding any of the
 * permissions (with the chain of the rule that grants it), and one per role the bundle defines
 * but no binding in it uses (judged on its own rules; aggregated roles are judged through the
 * roles they select).
 */
export function runPermissionCheck(
  objects: readonly Readonly<Record<string, unknown>>[] | RbacModel,
  check: PermissionCheck,
): RbacFinding[] {
  const model = 'bindings' in objects ? objects : buildRbacModel(objects);
  const out: RbacFinding[] = [];
  const bySubject = new Map<string, { grant: RbacGrant; rules: EffectiveRule[] }>();
  for (const g of listGrants(model)) {
    const key = `${g.binding.index}/${g.subjectIndex}`;
    const found = bySubject.get(key);
    if (found === undefined) bySubject.set(key, { grant: g, rules: [g.effective] });
    else found.rules.push(g.effective);
  }
  for (const { grant: g, rules } of bySubject.values()) {
    if (check.skipFullWildcard && isClusterAdminRef(g.binding)) continue;
    const m = matchRules(check, rules, g.scope);
    if (m === undefined) continue;
    const chain = [g.chain[0] ?? '', ...m.first.via.map(rbacObjectName)];
    out.push({
      objectIndex: g.binding.index,
      path: ['subjects', g.subjectIndex],
      severity: check.severity(g.scope, m.names !== undefined),
      message: `${describeSubject(g.subject)} can ${check.describe(m.matched)} ${formatScope(g.scope)}${onlyNamesText(m.names)}${check.consequence === undefined || m.names !== undefined ? '' : `: ${check.consequence(g.scope)}`}, through ${chain.join(' → ')}`,
      chain,
    });
  }
  const bound = boundRoles(model);
  for (const role of model.roles) {
    if (role.index === undefined || bound.has(role) || role.aggregation !== undefined) continue;
    const scope = roleScope(role);
    const own = role.rules.map((rule, ruleIndex) => ({ rule, ruleIndex, via: [role] }));
    const m = matchRules(check, own, scope);
    if (m === undefined) continue;
    const where =
      role.kind === 'Role' ? formatScope(scope) : 'cluster-wide when bound by a ClusterRoleBinding';
    out.push({
      objectIndex: role.index,
      path: ['rules', m.first.ruleIndex],
      severity: check.severity(scope, m.names !== undefined),
      message: `${rbacObjectName(role)} lets its subjects ${check.describe(m.matched)} ${where}${onlyNamesText(m.names)}; no binding in this bundle uses it yet`,
      chain: [rbacObjectName(role)],
    });
  }
  return out;
}

/** A binding to the cluster's `cluster-admin` role, whatever a bundle's copy of it holds. */
export function isClusterAdminRef(b: RbacBinding): boolean {
  return b.roleRef.kind === 'ClusterRole' && b.roleRef.name === 'cluster-admin';
}

/** Subjects that stand for many identities: every authenticated or anonymous caller, or every ServiceAccount. */
export function isBroadSubject(s: RbacSubject): boolean {
  if (s.kind === 'User') return s.name === 'system:anonymous';
  if (s.kind !== 'Group') return false;
  return (
    ['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts'].includes(s.name) ||
    s.name.startsWith('system:serviceaccounts:')
  );
}

/** A ServiceAccount, named as a subject or as its `system:serviceaccount:NS:NAME` user. */
export function isServiceAccountSubject(s: RbacSubject): boolean {
  return s.kind === 'ServiceAccount' || (s.kind === 'User' && s.name.startsWith('system:serviceaccount:'));
}

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** A rule granting every verb (`*`, or all seven standard ones) on every resource in every group. */
export function isAdminRule(rule: PolicyRule): boolean {
  if (!rule.resources.includes('*') || !rule.apiGroups.includes('*') || rule.resourceNames.length > 0)
    return false;
  return rule.verbs.includes('*') || ALL_VERBS.every((v) => rule.verbs.includes(v));
}

function broadName(s: RbacSubject): string {
  switch (s.name) {
    case 'system:authenticated':
      return 'every authenticated user';
    case 'system:unauthenticated':
    case 'system:anonymous':
      return 'anonymous callers';
    case 'system:serviceaccounts':
      return 'every ServiceAccount of the cluster';
    default:
      return `every ServiceAccount of namespace ${s.name.slice('system:serviceaccounts:'.length)}`;
  }
}

/** The subject, and for a broad group who it stands for: `Group system:authenticated (every authenticated user)`. */
export function describeSubject(s: RbacSubject): string {
  return isBroadSubject(s) ? `${formatSubject(s)} (${broadName(s)})` : formatSubject(s);
}

/** Bindings that give cluster-admin, or a role as strong (every verb on `*` in `*`), to a subject. */
export function findAdminBindings(
  objects: readonly Readonly<Record<string, unknown>>[] | RbacModel,
): RbacFinding[] {
  const model = 'bindings' in objects ? objects : buildRbacModel(objects);
  const out: RbacFinding[] = [];
  for (const b of model.bindings) {
    const role = model.resolveRoleRef(b);
    // A binding to cluster-admin is one whatever the bundle says the role holds: the API server
    // reconciles the default roles at start-up, adding back what a copy leaves out.
    const byName = isClusterAdminRef(b);
    const adminRule =
      role === undefined ? undefined : model.effectiveRules(role).find((e) => isAdminRule(e.rule));
    if (!byName && adminRule === undefined) continue;
    const scope: RbacScope =
      b.kind === 'ClusterRoleBinding'
        ? { kind: 'cluster' }
        : { kind: 'namespace', namespace: b.namespace ?? 'default' };
    const chain = [
      rbacObjectName(b),
      ...(adminRule === undefined ? [`ClusterRole/cluster-admin`] : adminRule.via.map(rbacObjectName)),
    ];
    const what = byName ? 'cluster-admin' : 'full control (every verb on every resource)';
    for (const { subject, index } of b.subjects) {
      const cls = isBroadSubject(subject) ? 0 : isServiceAccountSubject(subject) ? 1 : 2;
      const ladder: readonly Severity[] =
        scope.kind === 'cluster' ? ['critical', 'high', 'medium'] : ['high', 'medium', 'low'];
      const who = describeSubject(subject);
      out.push({
        objectIndex: b.index,
        path: ['subjects', index],
        severity: ladder[cls] ?? 'medium',
        message: `${who} has ${what} ${formatScope(scope)}, through ${chain.join(' → ')}`,
        chain,
      });
    }
  }
  return out;
}

/** Roles the bundle defines with `*` in verbs, resources or apiGroups (one finding per role). */
export function findWildcardRoles(
  objects: readonly Readonly<Record<string, unknown>>[] | RbacModel,
): RbacFinding[] {
  const model = 'bindings' in objects ? objects : buildRbacModel(objects);
  const out: RbacFinding[] = [];
  for (const role of model.roles) {
    // An aggregated role's own rules are replaced by the controller; the selected roles answer for them.
    if (role.index === undefined || role.aggregation !== undefined) continue;
    const parts: string[] = [];
    let firstIndex: number | undefined;
    let full = false;
    for (const [i, r] of role.rules.entries()) {
      const fields = (['verbs', 'resources', 'apiGroups'] as const).filter((f) => r[f].includes('*'));
      if (fields.length === 0) continue;
      firstIndex ??= i;
      full ||= fields.length === 3;
      parts.push(`rules[${i}] ${joinWords(fields)}`);
    }
    if (firstIndex === undefined) continue;
    out.push({
      objectIndex: role.index,
      path: ['rules', firstIndex],
      severity: full ? 'high' : 'medium',
      message: `${rbacObjectName(role)} uses "*" in ${parts.join('; ')}: it grants whatever exists now and every resource or verb added later`,
      chain: [rbacObjectName(role)],
    });
  }
  return out;
}
