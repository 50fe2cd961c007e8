import { PolicyError } from './errors.js';
import { formatPolicyPath, policyLocation } from './load.js';
import type { LintRuleSetting, Policy, Severity } from './schema.js';

/**
 * What the policy says about `portcullis lint`, in the shape the Dockerfile linter's options
 * take (structurally: policy does not depend on dockerfile).
 */
export type LintSettings = {
  /** Rule ids switched off (`off` or `{ enabled: false }`). */
  readonly disabled: string[];
  /** Rule id to the severity that replaces the rule's default. */
  readonly severityOverrides: Record<string, Severity>;
  /** `registries.trusted`: when given, base images must come from under one of these prefixes. */
  readonly trustedRegistries?: string[];
  /** `lint.minimalBases`: extra repository prefixes counted as minimal bases. */
  readonly minimalBases?: string[];
  /** `lint.failOn`: lowest severity that fails the run, unless the command line says otherwise. */
  readonly failOn?: Severity;
};

/** Splits per-rule settings (`lint.rules`, `audit.rules`) into disabled ids and severity overrides. */
export function splitRuleSettings(
  rules: Readonly<Record<string, LintRuleSetting>> | undefined,
): Pick<LintSettings, 'disabled' | 'severityOverrides'> {
  const disabled: string[] = [];
  const severityOverrides: Record<string, Severity> = {};
  for (const [id, setting] of Object.entries(rules ?? {})) {
    if (setting === 'off') {
      disabled.push(id);
    } else if (typeof setting === 'string') {
      severityOverrides[id] = setting;
    } else if (setting.enabled === false) {
      disabled.push(id);
    } else if (setting.severity !== undefined) {
      severityOverrides[id] = setting.severity;
    }
  }
  return { disabled, severityOverrides };
}

/** The lint settings of a policy. Rules not mentioned keep their defaults. */
export function lintSettings(policy: Policy): LintSettings {
  const { disabled, severityOverrides } = splitRuleSettings(policy.lint?.rules);
  const trusted = policy.registries?.trusted;
  const minimal = policy.lint?.minimalBases;
  const failOn = policy.lint?.failOn;
  return {
    disabled,
    severityOverrides,
    ...(trusted === undefined ? {} : { trustedRegistries: [...trusted] }),
    ...(minimal === undefined ? {} : { minimalBases: [...minimal] }),
    ...(failOn === undefined ? {} : { failOn }),
  };
}

/** A rule id in `lint.rules` that no checker knows. */
export type UnknownRuleId = {
  readonly id: string;
  /** `file:line:col` of the key, when the policy came from {@link parsePolicy}. */
  readonly location?: string;
  /** Ready to print: `portcullis.yaml:7:5: lint.rules.PC-DF-999: unknown rule id`. */
  readonly message: string;
};

/**
 * Rule ids the policy configures that are not in `knownIds` (the caller knows which rules
 * exist; the policy module does not). A typo would otherwise leave a rule silently on.
 */
export function unknownRuleIds(policy: Policy, knownIds: Iterable<string>): UnknownRuleId[] {
  const known = new Set(knownIds);
  return Object.keys(policy.lint?.rules ?? {})
    .filter((id) => !known.has(id))
    .map((id) => {
      const path = ['lint', 'rules', id];
      const location = policyLocation(policy, path, true);
      const message = `${location ?? 'policy'}: ${formatPolicyPath(path)}: unknown rule id`;
      return location === undefined ? { id, message } : { id, location, message };
    });
}

/**
 * Throws when the policy configures rule ids not in `knownIds`; see {@link unknownRuleIds}.
 *
 * @throws PolicyError POLICY_INVALID listing every unknown id with its line.
 */
export function assertKnownRuleIds(policy: Policy, knownIds: Iterable<string>): void {
  const unknown = unknownRuleIds(policy, knownIds);
  if (unknown.length > 0) {
    const known = [...new Set(knownIds)].sort();
    throw new PolicyError(
      'POLICY_INVALID',
      `${unknown.map((u) => u.message).join('\n')}\n(known rule ids: ${known.join(', ')})`,
    );
  }
}
