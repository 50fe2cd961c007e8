// Test support for the workload rules: turn YAML into LoadedObjects (with real line lookup) and
// run one rule over them the way the engine does, so each rule's table of cases can say which
// lines it expects.
import { describe, expect, it } from 'vitest';
import { isCollection, isMap, isNode, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import type { Policy } from '../../../policy/index.js';
import type { Severity } from '../../../report/index.js';
import type { AuditContext, LoadedObject, ObjectRule, PathSegment } from '../../types.js';
import { asRecord, asString } from '../../pod.js';

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

/** Every object of a multi-document YAML text, each with a lineOf backed by the YAML's nodes. */
export function loadYamlObjects(text: string, file = 'test.yaml'): LoadedObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) return [];
  const out: LoadedObject[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0)
      throw new Error(`test YAML document ${i + 1}: ${doc.errors[0]?.message ?? ''}`);
    const contents = doc.contents;
    if (!isMap(contents)) return;
    const object = asRecord(doc.toJS()) ?? {};
    const metadata = asRecord(object['metadata']) ?? {};
    const namespace = asString(metadata['namespace']);
    const lineAt = (offset: number) => lineCounter.linePos(offset).line;
    out.push({
      source: { file, document: i + 1, line: lineAt(contents.range?.[0] ?? 0) },
      resource: {
        apiVersion: asString(object['apiVersion']) ?? '',
        kind: asString(object['kind']) ?? '',
        name: asString(metadata['name']) ?? '',
        ...(namespace === undefined ? {} : { namespace }),
      },
      object,
      lineOf(path: readonly PathSegment[]): number {
        // The line of the key that holds the value (the `data:` line for a map), the item for a
        // list entry, or the nearest ancestor's when the path leaves the document.
        for (let n = path.length; n > 0; n--) {
          const parent: unknown = doc.getIn(path.slice(0, n - 1), true);
          const last = path[n - 1];
          if (isMap(parent)) {
            const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
            const key: unknown = pair?.key;
            if (isNode(key) && key.range) return lineAt(key.range[0]);
          } else if (isCollection(parent) && typeof last === 'number') {
            const item: unknown = parent.items[last];
            if (isNode(item) && item.range) return lineAt(item.range[0]);
          }
        }
        return lineAt(contents.range?.[0] ?? 0);
      },
    });
  });
  return out;
}

/** One rule's hits over a YAML bundle, in the engine's shape: line, path, message, severity. */
export function runRule(
  rule: ObjectRule,
  yaml: string,
  policy?: Policy,
): { line: number; path: readonly PathSegment[]; message: string; severity: Severity }[] {
  const objects = loadYamlObjects(yaml);
  const context: AuditContext = { objects, ...(policy === undefined ? {} : { policy }) };
  const hits = objects.flatMap((o) =>
    [...rule.check(o, context)].map((h) => ({
      line: o.lineOf(h.path),
      path: h.path,
      message: h.message,
      severity: h.severity ?? rule.meta.severity,
    })),
  );
  return hits.sort((a, b) => a.line - b.line);
}

/**
 * The table test of one rule: for each case, the lines reported (in order), their severities,
 * message contents, and that no raw secret of the case reaches a message.
 */
export function describeRuleCases(rule: ObjectRule, cases: readonly RuleCase[]): void {
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
