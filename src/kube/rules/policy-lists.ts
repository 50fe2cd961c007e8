// The registry lists of the policy file, as the image rules read them.
import type { Policy } from '../../policy/index.js';

/**
 * The registries images may come from: every allowedRegistries rule's list (a rule without one
 * means registries.trusted), else registries.trusted alone; undefined when the policy names
 * none, which turns the check off. Rule `match` and `mode` are admission's business: the audit
 * reports every image outside the union of the lists.
 */
export function allowedRegistries(policy: Policy | undefined): readonly string[] | undefined {
  if (policy === undefined) return undefined;
  const trusted = policy.registries?.trusted;
  const rules = (policy.rules ?? []).flatMap((r) => (r.kind === 'allowedRegistries' ? [r] : []));
  if (rules.length === 0) return trusted;
  return rules.flatMap((r) => r.registries ?? trusted ?? []);
}

/** Registries whose images need pull secrets (the requirePullSecretsFor rules), or []. */
export function pullSecretRegistries(policy: Policy | undefined): readonly string[] {
  return (policy?.rules ?? []).flatMap((r) => (r.kind === 'requirePullSecretsFor' ? r.registries : []));
}
