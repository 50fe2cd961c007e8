import type { Policy } from '../policy/index.js';
import type { RuleMeta, Severity } from '../report/index.js';

/** Where an object was read: file (or `-`), 1-based document, 1-based List item, 1-based line. */
export type ObjectSource = {
  readonly file: string;
  readonly document: number;
  readonly item?: number;
  /** The line the object starts on. */
  readonly line: number;
};

/** Which object a finding is about, as `kubectl` names it. */
export type KubeResource = {
  readonly apiVersion: string;
  readonly kind: string;
  /** Absent for cluster-scoped objects and for namespaced ones that name none. */
  readonly namespace?: string;
  readonly name: string;
};

/** A step into an object: a key or a list index. */
export type PathSegment = string | number;

/** One Kubernetes object from a manifest bundle, with where it came from. */
export type LoadedObject = {
  readonly source: ObjectSource;
  readonly resource: KubeResource;
  readonly object: Readonly<Record<string, unknown>>;
  /** The 1-based line of the value at `path` inside this object, or the nearest ancestor's. */
  lineOf(path: readonly PathSegment[]): number;
};

/** What a rule reports; the engine adds the rule's metadata, the object and the location. */
export type RuleHit = {
  /** Where in the object, e.g. ['spec', 'template', 'spec', 'containers', 0, 'env', 2, 'value']. */
  readonly path: readonly PathSegment[];
  /** Names the object and what is wrong; a secret only ever in redacted form. */
  readonly message: string;
  /** Replaces the rule's severity for this hit (an info-level variant, say). */
  readonly severity?: Severity;
  /** RBAC: how a subject got the permission, e.g. ['ClusterRoleBinding/readers', 'ClusterRole/secret-reader']. */
  readonly chain?: readonly string[];
};

/** Everything a rule may look at: the whole bundle (for cross-object checks) and the policy. */
export type AuditContext = {
  readonly objects: readonly LoadedObject[];
  readonly policy?: Policy;
};

/** A rule that judges one object at a time. One rule per file under `rules/`. */
export interface ObjectRule {
  readonly meta: RuleMeta;
  check(object: LoadedObject, context: AuditContext): Iterable<RuleHit>;
}

/** A rule that judges the bundle as a whole (RBAC chains, references between objects). */
export interface BundleRule {
  readonly meta: RuleMeta;
  checkBundle(context: AuditContext): Iterable<RuleHit & { readonly object: LoadedObject }>;
}

export type AuditRule = ObjectRule | BundleRule;

/** One finding of `portcullis audit`. */
export type AuditFinding = {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly title: string;
  readonly message: string;
  /** How to fix it. */
  readonly hint: string;
  readonly resource: KubeResource;
  /** The path inside the object, written `spec.template.spec.containers[0].env[2].value`. */
  readonly objectPath: string;
  readonly file: string;
  readonly line: number;
  readonly chain?: readonly string[];
};
