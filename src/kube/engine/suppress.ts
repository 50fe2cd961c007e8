import type { RuleMeta } from '../../report/index.js';

/** The annotation that suppresses findings on the object carrying it. */
export const IGNORE_ANNOTATION = 'portcullis.dev/ignore';

/**
 * The engine's own rule: a suppression annotation that cannot be honoured (no reason, no rule
 * id, an id no rule has). Such a suppression suppresses nothing: an unexplained exception in a
 * security audit is worse than a noisy one.
 */
export const SUPPRESSION_RULE: RuleMeta = {
  id: 'PC-K8S-000',
  severity: 'low',
  title: 'Suppression annotation without a reason or with an unknown rule id',
  hint: `Write ${IGNORE_ANNOTATION}: "PC-K8S-NNN why this is accepted" (one rule list and reason per line), or remove the annotation.`,
  docs: 'docs/rules/PC-K8S-000.md',
  equivalents: {},
};

/** One line of the annotation: the rule ids it names and why. */
export type IgnoreEntry = { readonly ruleIds: readonly string[]; readonly reason: string };

/** What an annotation says: the usable entries, and what is wrong with the others. */
export type ParsedIgnore = { readonly entries: readonly IgnoreEntry[]; readonly problems: readonly string[] };

const ID = 'PC-[A-Z0-9]+-\\d{3}';
// Ids first (separated by commas and/or spaces), then the reason; a `:` or `-` after the ids
// is read as punctuation, not as part of the reason.
const ENTRY_RE = new RegExp(`^(${ID}(?:\\s*,\\s*${ID}|\\s+${ID})*)\\s*[,:\\-\\u2013\\u2014]?\\s*(.*)$`);
const MAX_ENTRIES = 100;

/**
 * Parses `portcullis.dev/ignore`: one entry per line, each `IDS REASON` where IDS is one or
 * more rule ids separated by commas (`PC-K8S-012, PC-K8S-013 the value is a placeholder`).
 * An entry without a reason, or a line not starting with a rule id, is a problem and
 * suppresses nothing. Ids not in `knownIds` (when given) are problems too.
 */
export function parseIgnoreAnnotation(value: string, knownIds?: ReadonlySet<string>): ParsedIgnore {
  const entries: IgnoreEntry[] = [];
  const problems: string[] = [];
  const lines = value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) problems.push(`${IGNORE_ANNOTATION} is empty`);
  for (const line of lines.slice(0, MAX_ENTRIES)) {
    const m = ENTRY_RE.exec(line);
    if (!m) {
      problems.push(
        `${IGNORE_ANNOTATION} entry "${line.slice(0, 60)}" does not start with a rule id such as PC-K8S-012; it suppresses nothing`,
      );
      continue;
    }
    const ruleIds = (m[1] ?? '').split(/[\s,]+/).filter((s) => s !== '');
    const reason = (m[2] ?? '').trim();
    const unknown = knownIds === undefined ? [] : ruleIds.filter((id) => !knownIds.has(id));
    if (unknown.length > 0) {
      problems.push(`${IGNORE_ANNOTATION} names ${unknown.join(', ')}, which no audit rule has`);
    }
    if (reason === '') {
      problems.push(
        `${IGNORE_ANNOTATION} suppresses ${ruleIds.join(', ')} without a reason, so it is not applied; write "${ruleIds.join(', ')} <why this is accepted>"`,
      );
      continue;
    }
    const usable = ruleIds.filter((id) => !unknown.includes(id));
    if (usable.length > 0) entries.push({ ruleIds: usable, reason });
  }
  if (lines.length > MAX_ENTRIES) {
    problems.push(`${IGNORE_ANNOTATION} has more than ${MAX_ENTRIES} entries; the rest are not read`);
  }
  return { entries, problems };
}
