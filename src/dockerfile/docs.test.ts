import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRulesIndex, type RuleTableSection } from '../report/index.js';
import { repoRoot } from '../testing/fixtures.js';
import { kubeRuleSections } from '../testing/kube-rule-sections.js';
import { allRules, loadImageRules } from './index.js';

// The rules index, docs/rules/README.md, is generated from the rules' metadata. A new rule
// family is one more entry here (heading, sentence, rules, which tools to map).
const sections: readonly RuleTableSection[] = [
  {
    heading: 'Dockerfile rules (`portcullis lint`)',
    intro:
      'Checked in the Dockerfile, per stage and instruction; suppressible with `# portcullis-ignore=ID reason`.',
    rules: allRules,
    tools: ['hadolint', 'trivy', 'checkov'],
  },
  {
    heading: 'Image rules (`portcullis lint --image`)',
    intro: 'Checked in a built image: its config, its history and every layer, deleted files included.',
    rules: await loadImageRules(),
    tools: ['dockle', 'trivy', 'hadolint'],
  },
  ...kubeRuleSections,
];

describe('docs/rules/README.md', () => {
  it('is the table generated from the rule metadata (regenerate with `npx vitest run src/dockerfile/docs.test.ts -u`)', async () => {
    await expect(formatRulesIndex(sections)).toMatchFileSnapshot(
      path.join(repoRoot, 'docs', 'rules', 'README.md'),
    );
  });

  it('lists every rule page in docs/rules, and every listed rule has its page', () => {
    const pages = readdirSync(path.join(repoRoot, 'docs', 'rules'))
      .filter((f) => f !== 'README.md' && f.endsWith('.md'))
      .map((f) => `docs/rules/${f}`)
      .sort();
    const listed = sections.flatMap((s) => s.rules.map((r) => r.docs)).sort();
    expect(listed).toEqual(pages);
  });
});
