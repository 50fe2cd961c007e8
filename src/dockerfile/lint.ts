import { parseDockerfile } from './parse.js';
import { allRules } from './rules/index.js';
import type { DockerfileModel, DockerfileRule, LintFinding, RuleContext, Severity } from './types.js';

export type LintOptions = {
  /** Rules to run; all registered rules by default. */
  readonly rules?: readonly DockerfileRule[];
  /**
   * Registry or repository prefixes base images may come from (`ghcr.io/acme`, `docker.io`);
   * PC-DF-003 runs only when this is given.
   */
  readonly trustedRegistries?: readonly string[];
  /** Repository prefixes PC-DF-004 counts as minimal bases besides its built-in list. */
  readonly minimalBases?: readonly string[];
  readonly severityOverrides?: Readonly<Record<string, Severity>>;
  /** Rule ids not to run. */
  readonly disabled?: readonly string[];
};

/**
 * Parses and lints a Dockerfile. Findings are returned sorted by line, then column, then id.
 *
 * @throws DockerfileError when the text cannot be modelled (see {@link parseDockerfile}).
 */
export function lintDockerfile(text: string, path: string, options: LintOptions = {}): LintFinding[] {
  return lintModel(parseDockerfile(text, path), options);
}

/** Lints an already parsed model; see {@link lintDockerfile}. */
export function lintModel(model: DockerfileModel, options: LintOptions = {}): LintFinding[] {
  const rules = (options.rules ?? allRules).filter((r) => !(options.disabled ?? []).includes(r.id));
  const suppress = readSuppressions(model);
  const ctx: RuleContext = {
    ...(options.trustedRegistries === undefined ? {} : { trustedRegistries: options.trustedRegistries }),
    ...(options.minimalBases === undefined ? {} : { minimalBases: options.minimalBases }),
  };
  const out: LintFinding[] = [];
  for (const rule of rules) {
    const ids = [rule.id, ...(rule.equivalents.hadolint ?? [])];
    if (ids.some((id) => suppress.file.has(id))) continue;
    for (const f of rule.check(model, ctx)) {
      const onLine = suppress.byLine.get(f.line);
      if (onLine !== undefined && ids.some((id) => onLine.has(id))) continue;
      const severity = options.severityOverrides?.[rule.id];
      out.push(severity === undefined ? f : { ...f, severity });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
}

type Suppressions = { file: Set<string>; byLine: Map<number, Set<string>> };

/**
 * `# portcullis-ignore=ID[,ID] reason` and `# hadolint ignore=DLxxxx[,..]` apply to the next
 * instruction; `# portcullis-ignore-file=ID[,ID]` (and `# hadolint global ignore=`) to the file.
 */
function readSuppressions(model: DockerfileModel): Suppressions {
  const file = new Set<string>();
  const byLine = new Map<number, Set<string>>();
  const starts = model.instructions.map((i) => i.line).sort((a, b) => a - b);
  for (const c of model.comments) {
    const text = c.text.trim();
    const fileMatch =
      /^(?:portcullis-ignore-file|hadolint\s+global\s+ignore)\s*=\s*([\w-]+(?:\s*,\s*[\w-]+)*)/i.exec(text);
    if (fileMatch) {
      for (const id of splitIds(fileMatch[1] ?? '')) file.add(id);
      continue;
    }
    const lineMatch = /^(?:portcullis-ignore|hadolint\s+ignore)\s*=\s*([\w-]+(?:\s*,\s*[\w-]+)*)/i.exec(text);
    if (!lineMatch) continue;
    const next = starts.find((l) => l > c.line);
    if (next === undefined) continue;
    const set = byLine.get(next) ?? new Set<string>();
    for (const id of splitIds(lineMatch[1] ?? '')) set.add(id);
    byLine.set(next, set);
  }
  return { file, byLine };
}

function splitIds(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
}
