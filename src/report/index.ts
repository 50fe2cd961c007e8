export type { Severity, RuleEquivalents, RuleMeta, LayerRef, LintFinding } from './types.js';
