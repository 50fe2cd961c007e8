// Test support for the workload rules: load YAML with the real loader and run one rule through
// the real engine, so each rule's table of cases can say which lines it expects.
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../policy/index.js';
import { severityRank, type Severity } from '../../../report/index.js';
import { auditObjects } from '../../engine/audit.js';
import { loadManifests } from '../../load/parse.js';
import type { AuditFinding, AuditRule, LoadedObject } from '../../types.js';

// Fake credentials for the cases, assembled so that no full token sits in the source.
export const FAKE_PASSWORD = 'Tr0ub4dor' + '-9xQ';
export const FAKE_GITHUB_TOKEN = 'ghp_' + 'Zq8LmN3xV7bT2pR9sK4wY6hJ1cF5dG0aE2uQ';
export const FAKE_AWS_KEY_ID = 'AKIA' + 'Q3EGRT5YJ7WLMN2P';

/** One table case: a YAML bundle and the lines (in order) the rule must report; [] means valid. */
export type RuleCase = {
  readonly name: string;
  readonly yaml: string;
  readonly lines: readonly number[];
  readonly policy?: Policy;
  /** The severity of each hit, when not the rule's own (same order as lines). */
  readonly severities?: readonly Severity[];
  /** Text every message must contain (e.g. the object path or the container name). */
  readonly messageContains?: readonly string[];
  /** Raw secret values in the YAML that no message may repeat. */
  readonly secrets?: readonly string[];
};

/** Every object of a YAML bundle, as `portcullis audit` loads it. */
export function loadYamlObjects(text: string, file = 'test.yaml'): LoadedObject[] {
  return loadManifests([{ file, text }]);
}

/** One rule's findings over a YAML bundle, through the real loader and engine, by line, most severe first. */
export function runRule(rule: AuditRule, yaml: string, policy?: Policy): AuditFinding[] {
  const findings = auditObjects(loadYamlObjects(yaml), {
    rules: [rule],
    ...(policy === undefined ? {} : { policy }),
  });
  return findings
    .filter((f) => f.ruleId === rule.meta.id)
    .sort((a, b) => a.line - b.line || severityRank(b.severity) - severityRank(a.severity));
}

/**
 * The table test of one rule: for each case, the lines reported (in order), their severities,
 * message contents, and that no raw secret of the case reaches a message.
 */
export function describeRuleCases(rule: AuditRule, cases: readonly RuleCase[]): void {
  describe(rule.meta.id, () => {
    it('has valid and invalid cases', () => {
      expect(cases.some((c) => c.lines.length === 0)).toBe(true);
      expect(cases.some((c) => c.lines.length > 0)).toBe(true);
    });
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const hits = runRule(rule, c.yaml, c.policy);
      expect(hits.map((h) => h.line)).toEqual(c.lines);
      expect(hits.map((h) => h.severity)).toEqual(c.severities ?? c.lines.map(() => rule.meta.severity));
      for (const h of hits) {
        for (const s of c.messageContains ?? []) expect(h.message).toContain(s);
        for (const s of c.secrets ?? []) expect(h.message).not.toContain(s);
      }
    });
  });
}
