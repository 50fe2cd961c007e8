import path from 'node:path';
import type { RuleEquivalents, RuleMeta } from './types.js';

/** One table of the rules index: a heading, a sentence about it, its rules and which tools to map. */
export type RuleTableSection = {
  readonly heading: string;
  readonly intro: string;
  readonly rules: readonly RuleMeta[];
  /** The equivalent-tool columns to show, in order. */
  readonly tools: readonly (keyof RuleEquivalents)[];
};

const TOOL_HEADER: Readonly<Record<keyof RuleEquivalents, string>> = {
  hadolint: 'hadolint',
  trivy: 'Trivy',
  checkov: 'Checkov',
  dockle: 'Dockle',
  kubesec: 'kubesec',
  kubeScore: 'kube-score',
  polaris: 'Polaris',
  kubeaudit: 'kubeaudit',
  rbacTool: 'rbac-tool',
  kubeBench: 'kube-bench (CIS)',
};

/** Where the index lives, for links to the rule pages beside it. */
const INDEX_DIR = 'docs/rules';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

// Columns padded the way Prettier pads Markdown tables, so `prettier --write` leaves the
// generated file as it is and the docs test keeps comparing like with like. All content is
// ASCII plus the em dash, each one column wide.
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The Markdown table of one section: id (linked to its page), severity, title, equivalent ids. */
export function formatRuleTable(section: RuleTableSection): string {
  const header = ['Id', 'Severity', 'Title', ...section.tools.map((t) => TOOL_HEADER[t])];
  const rows = [...section.rules]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => [
      `[${r.id}](${path.posix.relative(INDEX_DIR, r.docs)})`,
      r.severity,
      cell(r.title),
      ...section.tools.map((t) => {
        const ids = r.equivalents[t] ?? [];
        return ids.length === 0 ? '—' : ids.map((id) => `\`${id}\``).join(', ');
      }),
    ]);
  return formatTable(header, rows);
}

/**
 * The whole `docs/rules/README.md`: a title, how to read it, then one section per rule family.
 * Generated from rule metadata; the docs test fails when the checked-in file differs.
 */
export function formatRulesIndex(sections: readonly RuleTableSection[]): string {
  const parts = [
    '# Rules',
    '',
    "<!-- Generated from the rules' metadata by formatRulesIndex (src/report/rules-table.ts). Do not edit by hand: change the rule, then run `npx vitest run src/dockerfile/docs.test.ts -u`. -->",
    '',
    'Every rule has a stable id, a default severity (a policy file can change it or turn the rule off), a fix hint and a page of its own. The tool columns name the checks in hadolint, Trivy, Checkov and other tools that look for the same problem; "—" means none does.',
    ...sectionParts(sections),
  ];
  return `${parts.join('\n')}\n`;
}

function sectionParts(sections: readonly RuleTableSection[]): string[] {
  return sections.flatMap((s) => ['', `## ${s.heading}`, '', s.intro, '', formatRuleTable(s)]);
}
