import { PolicyError } from './errors.js';
import { splitRuleSettings } from './lint.js';
import { formatPolicyPath, policyLocation } from './load.js';
import type { AuditIgnore, Policy, Severity } from './schema.js';

/** What the policy says about `portcullis audit` (Kubernetes manifests). */
export type AuditSettings = {
  /** Rule ids switched off (`off` or `{ enabled: false }`). */
  readonly disabled: readonly string[];
  /** Rule id to the severity that replaces the rule's default. */
  readonly severityOverrides: Readonly<Record<string, Severity>>;
  /** `audit.failOn`: lowest severity that fails the run, unless the command line says otherwise. */
  readonly failOn?: Severity;
  /** `audit.ignore`: accepted findings, each with a reason and maybe an expiry date. */
  readonly ignore: readonly AuditIgnoreEntry[];
};

/** One `audit.ignore` entry, with where it is in the policy file (for messages). */
export type AuditIgnoreEntry = AuditIgnore & {
  /** `portcullis.yaml:31:7`, or `policy audit.ignore[2]` for a policy not read from a file. */
  readonly location: string;
};

/** The audit settings of a policy. Rules not mentioned keep their defaults. */
export function auditSettings(policy: Policy): AuditSettings {
  const failOn = policy.audit?.failOn;
  return {
    ...splitRuleSettings(policy.audit?.rules),
    ...(failOn === undefined ? {} : { failOn }),
    ignore: (policy.audit?.ignore ?? []).map((entry, i) => {
      const path = ['audit', 'ignore', i];
      return { ...entry, location: policyLocation(policy, path) ?? `policy ${formatPolicyPath(path)}` };
    }),
  };
}

/**
 * Problems with rule ids in the policy's `audit` section: ids in `audit.rules` or
 * `audit.ignore[].rule` that are not in `knownIds`, each `file:line:col: key.path: unknown rule id`.
 */
export function unknownAuditRuleIds(policy: Policy, knownIds: Iterable<string>): string[] {
  const known = new Set(knownIds);
  const problems: string[] = [];
  for (const id of Object.keys(policy.audit?.rules ?? {})) {
    if (known.has(id)) continue;
    const path = ['audit', 'rules', id];
    problems.push(
      `${policyLocation(policy, path, true) ?? 'policy'}: ${formatPolicyPath(path)}: unknown rule id`,
    );
  }
  (policy.audit?.ignore ?? []).forEach((entry, i) => {
    if (known.has(entry.rule)) return;
    const path = ['audit', 'ignore', i, 'rule'];
    problems.push(
      `${policyLocation(policy, path) ?? 'policy'}: ${formatPolicyPath(path)}: unknown rule id "${entry.rule}"`,
    );
  });
  return problems;
}

/**
 * Throws when the policy's `audit` section names rule ids not in `knownIds`: a typo would
 * otherwise leave a rule on, or a finding unsuppressed without a word.
 *
 * @throws PolicyError POLICY_INVALID listing every unknown id with its line.
 */
export function assertKnownAuditRuleIds(policy: Policy, knownIds: Iterable<string>): void {
  const problems = unknownAuditRuleIds(policy, knownIds);
  if (problems.length > 0) {
    const known = [...new Set(knownIds)].sort();
    throw new PolicyError(
      'POLICY_INVALID',
      `${problems.join('\n')}\n(known audit rule ids: ${known.join(', ')})`,
    );
  }
}
