import type { RequireSignatureRule, SignatureFact } from '../../admission/index.js';
import type {
  ImageVerificationResult,
  KeylessIdentity,
  SignerId,
  SigstoreTrustedRoot,
  VerificationRequirement,
} from '../../signing/index.js';

/**
 * What a requireSignature rule asks the verifier for: the requirement built from the signers it
 * can check, and the signers it cannot (each with why). `requirement` is undefined when none
 * of the rule's signers can be checked.
 */
export type RuleRequirement = {
  readonly requirement: VerificationRequirement | undefined;
  readonly unusable: readonly string[];
};

const MAX_REASONS = 5;

/**
 * Builds the verification requirement of a requireSignature rule. Keys are used as written
 * (PEM); keyless identities need the Sigstore trusted root, and the verifier matches a
 * certificate's subject exactly, so a `subjectRegExp` identity cannot be checked.
 */
export function requirementForRule(
  rule: RequireSignatureRule,
  trustedRoot: SigstoreTrustedRoot | undefined,
): RuleRequirement {
  const keys = (rule.keys ?? []).map((k) => k.pem);
  const identities: KeylessIdentity[] = [];
  const unusable: string[] = [];
  for (const k of rule.keyless ?? []) {
    if (k.subject === undefined) {
      unusable.push(
        `keyless identity (issuer ${k.issuer}, subjectRegExp ${k.subjectRegExp ?? ''}): subject patterns are not supported; name the exact subject`,
      );
    } else if (trustedRoot === undefined) {
      unusable.push(
        `keyless identity (issuer ${k.issuer}, subject ${k.subject}): no Sigstore trusted root was configured, and it cannot be fetched offline`,
      );
    } else {
      identities.push({ issuer: k.issuer, subjectAlternativeName: k.subject });
    }
  }
  if (keys.length === 0 && identities.length === 0) return { requirement: undefined, unusable };
  return {
    requirement: {
      ...(keys.length > 0 ? { keys } : {}),
      ...(identities.length > 0 ? { identities, trustedRoot } : {}),
      ...(rule.attestations !== undefined && rule.attestations.length > 0
        ? { attestations: rule.attestations }
        : {}),
    },
    unusable,
  };
}

function describeSigner(s: SignerId | undefined): string {
  if (s === undefined) return '';
  return s.kind === 'key'
    ? ` (key ${s.fingerprint.slice(0, 12)}…)`
    : ` (${s.subjectAlternativeName} from ${s.issuer})`;
}

/**
 * The signature fact of one rule from the verifier's result. An unsatisfied result of a rule
 * that also names signers this server cannot check is an error, not a violation: a signature
 * by one of those might be there.
 */
export function toSignatureFact(result: ImageVerificationResult, unusable: readonly string[]): SignatureFact {
  if (result.satisfied) {
    const by = [...new Set(result.verified.map((v) => `signed${describeSigner(v.signer)}`))];
    return { satisfied: true, reasons: by.slice(0, MAX_REASONS) };
  }
  const reasons = [
    ...new Set([
      ...result.failures.map((f) => `${f.message}${describeSigner(f.signer)}`),
      ...result.problems,
    ]),
  ].slice(0, MAX_REASONS);
  if (unusable.length > 0) {
    return {
      error: `no signature verified with the rule's keys (${reasons.join('; ') || 'no reason given'}), and these signers cannot be checked: ${unusable.join('; ')}`,
    };
  }
  return { satisfied: false, reasons };
}
