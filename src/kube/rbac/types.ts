/** One RBAC rule as written in a Role or ClusterRole (absent lists read as empty). */
export type PolicyRule = {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
};

/** A label selector as in `aggregationRule.clusterRoleSelectors`. */
export type LabelSelector = {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values: readonly string[];
  }[];
};

/** A Role or ClusterRole read from the bundle, or one of the cluster's default ClusterRoles. */
export type RbacRole = {
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
  /** Roles only. */
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The rules written in the object; replaced by the aggregated ones when `aggregation` is set. */
  readonly rules: readonly PolicyRule[];
  readonly aggregation?: readonly LabelSelector[];
  /** Position in the input list; absent for the cluster's defaults (`cluster-admin`, `admin`, …). */
  readonly index?: number;
};

/** Who a binding names. `namespace` of a ServiceAccount is already defaulted where RBAC defaults it. */
export type RbacSubject = {
  readonly kind: 'User' | 'Group' | 'ServiceAccount';
  readonly name: string;
  readonly namespace?: string;
};

/** A RoleBinding or ClusterRoleBinding read from the bundle. */
export type RbacBinding = {
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  readonly name: string;
  /** RoleBindings only. */
  readonly namespace?: string;
  readonly roleRef: { readonly kind: 'Role' | 'ClusterRole'; readonly name: string };
  /** Subjects with their index in `subjects` (unknown kinds are left out). */
  readonly subjects: readonly { readonly subject: RbacSubject; readonly index: number }[];
  readonly index: number;
};

/** Where a grant applies: everywhere, or inside one namespace. */
export type RbacScope =
  { readonly kind: 'cluster' } | { readonly kind: 'namespace'; readonly namespace: string };

/** A rule a role carries after aggregation, with the roles it came through (bound role first). */
export type EffectiveRule = {
  readonly rule: PolicyRule;
  /** Index of the rule in the role that defines it (`via`'s last role). */
  readonly ruleIndex: number;
  readonly via: readonly RbacRole[];
};

/** One subject holding a rule through one binding. */
export type RbacGrant = {
  readonly subject: RbacSubject;
  readonly subjectIndex: number;
  readonly binding: RbacBinding;
  readonly scope: RbacScope;
  readonly effective: EffectiveRule;
  /** `Kind/[namespace/]name` of the binding, the bound role and any roles aggregated into it. */
  readonly chain: readonly string[];
};

/** A who-can question, as `kubectl auth can-i` or `rbac-tool who-can` ask it. */
export type AccessQuery =
  | {
      readonly verb: string;
      /** Plural resource, e.g. `secrets`; `pods/exec` is read as resource and subresource. */
      readonly resource: string;
      /** Default: the group of a well-known resource, otherwise any group. */
      readonly apiGroup?: string;
      readonly subresource?: string;
      /** Only grants that apply in this namespace; default: grants anywhere. */
      readonly namespace?: string;
      /** A named object; default: the request names none (list, watch, create, or "some object"). */
      readonly name?: string;
    }
  | { readonly verb: string; readonly nonResourceURL: string };

/** One answer to a who-can question: a subject, how it holds the permission and where. */
export type WhoCanEntry = {
  readonly subject: RbacSubject;
  readonly scope: RbacScope;
  /** Binding → role [→ aggregated-from role …]; with `expandGroups`, the group comes first. */
  readonly chain: readonly string[];
  /** Absent for `system:masters`, which needs no binding. */
  readonly binding?: RbacBinding;
  /**
   * Set when every matching rule lists `resourceNames`: the subject reaches only these objects
   * (for an unnamed query such as `get secrets`).
   */
  readonly onlyNames?: readonly string[];
  /** The matching rules, first one first. */
  readonly rules: readonly EffectiveRule[];
};
