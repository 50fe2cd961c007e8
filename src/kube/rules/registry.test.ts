import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../testing/fixtures.js';
import { auditRuleMetas } from '../engine/audit.js';
import { KUBE_RULES } from './index.js';

const ids = KUBE_RULES.map((r) => r.meta.id);
const rulesDir = import.meta.dirname;

describe('KUBE_RULES', () => {
  it("holds unique PC-K8S-NNN ids, sorted, none of them the engine's own PC-K8S-000", () => {
    expect(ids.every((id) => /^PC-K8S-\d{3}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids).not.toContain('PC-K8S-000');
  });

  it.each(auditRuleMetas(KUBE_RULES).map((m) => [m.id, m] as const))(
    '%s has a title, a hint and its docs page',
    (id, meta) => {
      expect(meta.title.trim()).not.toBe('');
      expect(meta.hint.trim()).not.toBe('');
      expect(meta.docs).toBe(`docs/rules/${id}.md`);
      expect(existsSync(path.join(repoRoot, meta.docs)), meta.docs).toBe(true);
    },
  );

  it('registers every rule module in this folder', () => {
    const files = readdirSync(rulesDir)
      .filter((f) => /^PC-K8S-\d{3}\.ts$/.test(f))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(files.filter((f) => !ids.includes(f))).toEqual([]);
  });

  it('has tests naming every rule (a table test beside it, or a test of its module)', () => {
    const kubeDir = path.dirname(rulesDir);
    const tests = readdirSync(kubeDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(path.join(kubeDir, f), 'utf8'))
      .join('\n');
    expect(
      ids.filter((id) => !existsSync(path.join(rulesDir, `${id}.test.ts`)) && !tests.includes(id)),
    ).toEqual([]);
  });
});
