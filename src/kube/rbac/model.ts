import { DEFAULT_CLUSTER_ROLES } from './builtin.js';
import type {
  EffectiveRule,
  LabelSelector,
  PolicyRule,
  RbacBinding,
  RbacRole,
  RbacSubject,
} from './types.js';

/** The RBAC objects of a bundle, indexed, with aggregation resolved on demand. */
export type RbacModel = {
  readonly roles: readonly RbacRole[];
  readonly bindings: readonly RbacBinding[];
  /** ServiceAccounts defined in the bundle, as `namespace/name`. */
  readonly serviceAccounts: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly index: number;
  }[];
  /** The role a binding refers to (Roles in the binding's namespace), or a default ClusterRole. */
  resolveRoleRef(binding: RbacBinding): RbacRole | undefined;
  /** The rules a role carries after aggregation, each with the roles it came through. */
  effectiveRules(role: RbacRole): readonly EffectiveRule[];
};

const RBAC_API = 'rbac.authorization.k8s.io/';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && Boolean(v) && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function metadata(o: Record<string, unknown>): {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
} {
  const m = isRecord(o['metadata']) ? o['metadata'] : {};
  const name = typeof m['name'] === 'string' ? m['name'] : '';
  const ns = typeof m['namespace'] === 'string' && m['namespace'] !== '' ? m['namespace'] : undefined;
  return { name, ...(ns === undefined ? {} : { namespace: ns }), labels: stringMap(m['labels']) };
}

/** Reads one rule; absent or null lists are empty, as the API server stores them. */
export function toPolicyRule(v: unknown): PolicyRule {
  const r = isRecord(v) ? v : {};
  return {
    verbs: strings(r['verbs']),
    apiGroups: strings(r['apiGroups']),
    resources: strings(r['resources']),
    resourceNames: strings(r['resourceNames']),
    nonResourceURLs: strings(r['nonResourceURLs']),
  };
}

function toSelector(v: unknown): LabelSelector {
  const s = isRecord(v) ? v : {};
  const exprs = Array.isArray(s['matchExpressions']) ? s['matchExpressions'] : [];
  return {
    matchLabels: stringMap(s['matchLabels']),
    matchExpressions: exprs.filter(isRecord).map((e) => ({
      key: typeof e['key'] === 'string' ? e['key'] : '',
      operator: typeof e['operator'] === 'string' ? e['operator'] : '',
      values: strings(e['values']),
    })),
  };
}

/** Whether labels satisfy a selector (metav1.LabelSelector semantics; an empty selector matches all). */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions) {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (value === undefined || !e.values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && e.values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
      default:
        // The API server rejects unknown operators, so such a selector selects nothing.
        return false;
    }
  }
  return true;
}

function toSubject(v: unknown, bindingNamespace: string | undefined): RbacSubject | undefined {
  if (!isRecord(v)) return undefined;
  const kind = v['kind'];
  const name = v['name'];
  if (typeof name !== 'string' || name === '') return undefined;
  if (kind === 'User' || kind === 'Group') return { kind, name };
  if (kind !== 'ServiceAccount') return undefined;
  // RBAC defaults a ServiceAccount subject's namespace to the RoleBinding's own
  // (rbac/v1 helpers appliesToUser); a ClusterRoleBinding must name it and stays without one.
  const ns = typeof v['namespace'] === 'string' && v['namespace'] !== '' ? v['namespace'] : bindingNamespace;
  return { kind, name, ...(ns === undefined ? {} : { namespace: ns }) };
}

function apiVersionOk(o: Record<string, unknown>): boolean {
  const v = o['apiVersion'];
  // Manifests without apiVersion are still read: a partial bundle should not hide a binding.
  return v === undefined || (typeof v === 'string' && v.startsWith(RBAC_API));
}

/**
 * Builds the RBAC model of a bundle from plain Kubernetes objects (anything else is ignored).
 * Never throws: malformed fields read as absent.
 */
export function buildRbacModel(objects: readonly Readonly<Record<string, unknown>>[]): RbacModel {
  const roles: RbacRole[] = [];
  const bindings: RbacBinding[] = [];
  const serviceAccounts: { namespace: string; name: string; index: number }[] = [];
  objects.forEach((o, index) => {
    const kind = o['kind'];
    const meta = metadata(o);
    if (meta.name === '') return;
    if (kind === 'ServiceAccount' && o['apiVersion'] === 'v1') {
      serviceAccounts.push({ namespace: meta.namespace ?? 'default', name: meta.name, index });
      return;
    }
    if (!apiVersionOk(o)) return;
    if (kind === 'Role' || kind === 'ClusterRole') {
      const rules = Array.isArray(o['rules']) ? o['rules'].map(toPolicyRule) : [];
      const agg = kind === 'ClusterRole' && isRecord(o['aggregationRule']) ? o['aggregationRule'] : undefined;
      const selectors =
        agg === undefined
          ? undefined
          : (Array.isArray(agg['clusterRoleSelectors']) ? agg['clusterRoleSelectors'] : []).map(toSelector);
      roles.push({
        kind,
        name: meta.name,
        // A Role without a namespace lands in the namespace it is applied to; `default` is kubectl's.
        ...(kind === 'Role' ? { namespace: meta.namespace ?? 'default' } : {}),
        labels: meta.labels,
        rules,
        ...(selectors === undefined ? {} : { aggregation: selectors }),
        index,
      });
    } else if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      const ref = isRecord(o['roleRef']) ? o['roleRef'] : {};
      const refKind = ref['kind'];
      const refName = ref['name'];
      if ((refKind !== 'Role' && refKind !== 'ClusterRole') || typeof refName !== 'string') return;
      const ns = kind === 'RoleBinding' ? (meta.namespace ?? 'default') : undefined;
      const subjects = (Array.isArray(o['subjects']) ? o['subjects'] : []).flatMap((s, i) => {
        const subject = toSubject(s, ns);
        return subject === undefined ? [] : [{ subject, index: i }];
      });
      // A ClusterRoleBinding cannot refer to a Role (the API server rejects it).
      if (kind === 'ClusterRoleBinding' && refKind === 'Role') return;
      bindings.push({
        kind,
        name: meta.name,
        ...(ns === undefined ? {} : { namespace: ns }),
        roleRef: { kind: refKind, name: refName },
        subjects,
        index,
      });
    }
  });

  const clusterRoles = new Map<string, RbacRole>();
  for (const r of DEFAULT_CLUSTER_ROLES) clusterRoles.set(r.name, r);
  // The bundle's definitions win over the defaults (first one of a name, as the API server keeps it).
  const defined = new Set<string>();
  for (const r of roles) {
    if (r.kind !== 'ClusterRole' || defined.has(r.name)) continue;
    defined.add(r.name);
    clusterRoles.set(r.name, r);
  }
  const nsRoles = new Map<string, RbacRole>();
  for (const r of roles)
    if (r.kind === 'Role' && !nsRoles.has(`${r.namespace}/${r.name}`))
      nsRoles.set(`${r.namespace}/${r.name}`, r);
  const allClusterRoles = [...clusterRoles.values()];

  const selected = new Map<RbacRole, readonly RbacRole[]>();
  function selectedBy(role: RbacRole): readonly RbacRole[] {
    let out = selected.get(role);
    if (out === undefined) {
      const selectors = role.aggregation ?? [];
      out = allClusterRoles.filter(
        (other) => other !== role && selectors.some((s) => matchesSelector(s, other.labels)),
      );
      selected.set(role, out);
    }
    return out;
  }

  const cache = new Map<RbacRole, readonly EffectiveRule[]>();
  function effective(role: RbacRole): readonly EffectiveRule[] {
    const cached = cache.get(role);
    if (cached !== undefined) return cached;
    const result: EffectiveRule[] = [];
    if (role.aggregation === undefined) {
      role.rules.forEach((rule, ruleIndex) => result.push({ rule, ruleIndex, via: [role] }));
    } else {
      // The aggregation controller replaces the role's rules with the union of the selected
      // ClusterRoles' rules, which are themselves aggregated: the result is the own rules of every
      // plain ClusterRole reachable through selections. A breadth-first walk visits each role
      // once (cycles and diamonds add nothing) and keeps the shortest chain to it.
      const via = new Map<RbacRole, readonly RbacRole[]>([[role, [role]]]);
      const queue: RbacRole[] = [role];
      for (let i = 0; i < queue.length; i++) {
        const current = queue[i];
        if (current === undefined) break;
        const path = via.get(current) ?? [current];
        for (const next of selectedBy(current)) {
          if (via.has(next)) continue;
          const nextPath = [...path, next];
          via.set(next, nextPath);
          if (next.aggregation === undefined)
            next.rules.forEach((rule, ruleIndex) => result.push({ rule, ruleIndex, via: nextPath }));
          else queue.push(next);
        }
      }
    }
    cache.set(role, result);
    return result;
  }

  return {
    roles,
    bindings,
    serviceAccounts,
    resolveRoleRef(binding) {
      if (binding.roleRef.kind === 'ClusterRole') return clusterRoles.get(binding.roleRef.name);
      return nsRoles.get(`${binding.namespace ?? 'default'}/${binding.roleRef.name}`);
    },
    effectiveRules: effective,
  };
}
