import type { LintFinding, RuleEquivalents, Severity } from '../report/index.js';

export type { LintFinding, RuleEquivalents, Severity };

/** One instruction, with continuations joined and heredocs kept in `raw`. Lines and columns are 1-based. */
export type DockerInstruction = {
  readonly keyword: string;
  /** Arguments with line continuations removed (the shell sees this). */
  readonly args: string;
  /** Arguments as written, including heredoc bodies. */
  readonly raw: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  /** The stage this instruction belongs to, or -1 for global ARGs before the first FROM. */
  readonly stage: number;
};

export type Stage = {
  readonly index: number;
  /** The FROM image as written. */
  readonly rawImage: string;
  /** The FROM image after substituting global ARG defaults. */
  readonly image: string;
  readonly alias?: string;
  /** Index of the earlier stage this one is built FROM, when FROM names a stage. */
  readonly parentStage?: number;
  readonly from: DockerInstruction;
  readonly instructions: readonly DockerInstruction[];
};

export type DockerfileComment = { readonly line: number; readonly text: string };

export type DockerfileModel = {
  readonly path: string;
  readonly stages: readonly Stage[];
  readonly instructions: readonly DockerInstruction[];
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly comments: readonly DockerfileComment[];
};

export type RuleContext = {
  /**
   * Registry or repository prefixes base images may come from (`docker.io`, `ghcr.io/acme`,
   * `localhost:5000`), matched on path boundaries after normalization.
   */
  readonly trustedRegistries?: readonly string[];
  /** Repository prefixes counted as minimal bases besides the built-in list (PC-DF-004). */
  readonly minimalBases?: readonly string[];
};

/** One lint rule: one file in rules/, one page in docs/rules/. */
export interface DockerfileRule {
  readonly id: `PC-DF-${string}`;
  readonly severity: Severity;
  readonly title: string;
  readonly hint: string;
  readonly docs: `docs/rules/PC-DF-${string}.md`;
  readonly equivalents: RuleEquivalents;
  check(model: DockerfileModel, ctx: RuleContext): LintFinding[];
}
