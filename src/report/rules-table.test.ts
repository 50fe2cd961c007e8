import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import { formatRuleTable, formatRulesIndex } from './rules-table.js';
import { RULES } from './testdata/findings.js';

describe('formatRuleTable', () => {
  it('sorts by id, links each page, aligns columns and writes — where no tool has the check', () => {
    const table = formatRuleTable({
      heading: 'x',
      intro: 'y',
      rules: RULES.filter((r) => r.id === 'PC-DF-002' || r.id === 'PC-DF-001'),
      tools: ['hadolint', 'checkov'],
    });
    expect(table.split('\n')).toEqual([
      '| Id                        | Severity | Title                                 | hadolint           | Checkov        |',
      '| ------------------------- | -------- | ------------------------------------- | ------------------ | -------------- |',
      '| [PC-DF-001](PC-DF-001.md) | medium   | Base image is untagged or uses latest | `DL3006`, `DL3007` | `CKV_DOCKER_7` |',
      '| [PC-DF-002](PC-DF-002.md) | low      | Base image is not pinned by digest    | —                  | —              |',
    ]);
  });

  it('escapes pipes in titles', () => {
    const [rule] = RULES;
    if (rule === undefined) throw new Error('fixture');
    const table = formatRuleTable({
      heading: 'x',
      intro: 'y',
      rules: [{ ...rule, title: 'curl | sh' }],
      tools: [],
    });
    expect(table).toContain('| curl \\| sh |');
  });
});

describe('formatRulesIndex', () => {
  it('writes one headed section per family, in the order given', () => {
    const text = formatRulesIndex([
      {
        heading: 'Dockerfile rules',
        intro: 'From `portcullis lint`.',
        rules: RULES.slice(0, 1),
        tools: ['trivy'],
      },
      {
        heading: 'Image rules',
        intro: 'From `portcullis lint --image`.',
        rules: RULES.slice(-1),
        tools: ['dockle'],
      },
    ]);
    expect(text.startsWith('# Rules\n')).toBe(true);
    expect(text.indexOf('## Dockerfile rules')).toBeLessThan(text.indexOf('## Image rules'));
    expect(text).toContain('`CIS-DI-0010`');
    expect(text.endsWith('|\n')).toBe(true);
  });

  it("is already in Prettier's Markdown form, so `prettier --write .` leaves the checked-in file alone", async () => {
    const text = formatRulesIndex([
      {
        heading: 'Rules',
        intro: 'All of them.',
        rules: RULES,
        tools: ['hadolint', 'trivy', 'checkov', 'dockle'],
      },
    ]);
    expect(await format(text, { parser: 'markdown', singleQuote: true, printWidth: 110 })).toBe(text);
  });
});
