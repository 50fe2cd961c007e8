/** How bad a lint or audit finding is, most severe first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** The same check in the tools people already run, for readers coming from them. */
export type RuleEquivalents = {
  readonly hadolint?: readonly string[];
  readonly trivy?: readonly string[];
  readonly checkov?: readonly string[];
  readonly dockle?: readonly string[];
  readonly kubesec?: readonly string[];
  readonly kubeScore?: readonly string[];
  readonly polaris?: readonly string[];
  /** kubeaudit auditor or override ids (`privileged`, `AllowPrivilegeEscalationNil`). */
  readonly kubeaudit?: readonly string[];
  /** rbac-tool analysis rule names (`Secret Readers`). */
  readonly rbacTool?: readonly string[];
  /** CIS Kubernetes Benchmark sections as kube-bench numbers them (`5.1.2`). */
  readonly kubeBench?: readonly string[];
};

/** What a report needs to know about a rule: one rule per file, one docs page per rule. */
export type RuleMeta = {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly hint: string;
  /** Repository-relative path of the rule's page, e.g. `docs/rules/PC-DF-001.md`. */
  readonly docs: string;
  readonly equivalents: RuleEquivalents;
};

/** The image layer a finding sits in (image audits), counted from the base layer at 0. */
export type LayerRef = { readonly index: number; readonly digest: string };

/**
 * One finding of a lint or audit rule. Lines and columns are 1-based. `message` never holds a
 * full secret: rules that see one put only its redacted form in the message.
 */
export type LintFinding = {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly hint: string;
  /** A file path, or for image audits the image reference (with `layer` and the path in `message`). */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly layer?: LayerRef;
};
