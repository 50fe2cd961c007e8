export { parseDockerfile, tryParseDockerfile, substituteArgs, MAX_DOCKERFILE_BYTES } from './parse.js';
export { lintDockerfile, lintModel } from './lint.js';
export type { LintOptions } from './lint.js';
export { allRules } from './rules/index.js';
export { DockerfileError } from './errors.js';
export type { DockerfileErrorCode } from './errors.js';
export type {
  Severity,
  DockerInstruction,
  Stage,
  DockerfileComment,
  DockerfileModel,
  LintFinding,
  RuleContext,
  RuleEquivalents,
  DockerfileRule,
} from './types.js';
