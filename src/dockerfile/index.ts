export { parseDockerfile, tryParseDockerfile, substituteArgs, MAX_DOCKERFILE_BYTES } from './parse.js';
export { lintDockerfile, lintModel } from './lint.js';
export type { LintOptions } from './lint.js';
export { allRules } from './rules/index.js';
export { baseImageLatest } from './rules/PC-DF-001.js';
export { baseImageDigest } from './rules/PC-DF-002.js';
export { untrustedRegistry } from './rules/PC-DF-003.js';
export { nonMinimalBase, isMinimalBase } from './rules/PC-DF-004.js';
export { copyFromUnknownStage } from './rules/PC-DF-005.js';
export { rootUser } from './rules/PC-DF-006.js';
export { runSudo } from './rules/PC-DF-007.js';
export { addRemoteUrl } from './rules/PC-DF-008.js';
export { pipeToShell } from './rules/PC-DF-009.js';
export { tlsVerificationOff } from './rules/PC-DF-010.js';
export { exposeSsh } from './rules/PC-DF-011.js';
export { chmodWorldWritable } from './rules/PC-DF-012.js';
export { compilersInFinalImage } from './rules/PC-DF-013.js';
export { secretInEnv } from './rules/PC-DF-014.js';
export { secretInRun } from './rules/PC-DF-015.js';
export { copySecretFiles } from './rules/PC-DF-016.js';
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
export {
  auditImage,
  auditImageConfig,
  IMAGE_CONFIG_PATH,
  MAX_LAYER_FINDINGS,
  loadImageRules,
  ImageAuditError,
} from './image/index.js';
export type {
  ImageAuditOptions,
  ImageAuditErrorCode,
  ImageRule,
  ImageHit,
  ImageConfigContext,
  HistoryStep,
  LayerScan,
  PathFate,
  PathTracker,
} from './image/index.js';
