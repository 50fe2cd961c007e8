import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../testing/fixtures.js';
import { lintDockerfile } from '../lint.js';
import { ruleCases } from './cases.js';
import { allRules } from './index.js';

describe.each(allRules.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
  const cases = ruleCases[rule.id] ?? [];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const findings = lintDockerfile(c.text, 'Dockerfile', {
      rules: [rule],
      ...(c.trustedRegistries === undefined ? {} : { trustedRegistries: c.trustedRegistries }),
      ...(c.minimalBases === undefined ? {} : { minimalBases: c.minimalBases }),
    });
    expect(findings.map((f) => f.line)).toEqual(c.lines);
    for (const f of findings) {
      expect(f).toMatchObject({
        ruleId: rule.id,
        severity: c.severity ?? rule.severity,
        hint: rule.hint,
        path: 'Dockerfile',
      });
    }
  });
});

describe('secret rules', () => {
  it('never repeat a raw secret value in a message or hint', () => {
    const withSecrets = Object.values(ruleCases)
      .flat()
      .filter((c) => (c.secrets ?? []).length > 0);
    expect(withSecrets.length).toBeGreaterThan(10);
    for (const c of withSecrets) {
      const findings = lintDockerfile(c.text, 'Dockerfile');
      expect(findings.length, c.name).toBeGreaterThan(0);
      for (const f of findings)
        for (const s of c.secrets ?? []) {
          expect(f.message, c.name).not.toContain(s);
          expect(f.hint, c.name).not.toContain(s);
        }
    }
  });
});

describe('every rule', () => {
  it('has a unique PC-DF-NNN id, a docs page naming its equivalents, and valid and invalid cases', () => {
    const ids = allRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of allRules) {
      expect(rule.id).toMatch(/^PC-DF-\d{3}$/);
      expect(rule.docs).toBe(`docs/rules/${rule.id}.md`);
      const docs = path.join(repoRoot, rule.docs);
      expect(existsSync(docs), docs).toBe(true);
      const text = readFileSync(docs, 'utf8');
      expect(text).toContain(rule.id);
      for (const section of ['## What', '## Why', '## Fix', '## Equivalents'])
        expect(text).toContain(section);
      for (const id of Object.values(rule.equivalents).flat()) expect(text).toContain(id);
      const cases = ruleCases[rule.id] ?? [];
      expect(
        cases.some((c) => c.lines.length === 0),
        `${rule.id} valid case`,
      ).toBe(true);
      expect(
        cases.some((c) => c.lines.length > 0),
        `${rule.id} invalid case`,
      ).toBe(true);
    }
    expect(Object.keys(ruleCases).sort()).toEqual([...ids].sort());
  });
});
