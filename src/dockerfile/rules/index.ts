import type { DockerfileRule } from '../types.js';
import { baseImageLatest } from './PC-DF-001.js';
import { baseImageDigest } from './PC-DF-002.js';
import { untrustedRegistry } from './PC-DF-003.js';
import { nonMinimalBase } from './PC-DF-004.js';
import { copyFromUnknownStage } from './PC-DF-005.js';
import { rootUser } from './PC-DF-006.js';
import { runSudo } from './PC-DF-007.js';
import { addRemoteUrl } from './PC-DF-008.js';
import { pipeToShell } from './PC-DF-009.js';
import { tlsVerificationOff } from './PC-DF-010.js';
import { exposeSsh } from './PC-DF-011.js';
import { chmodWorldWritable } from './PC-DF-012.js';
import { compilersInFinalImage } from './PC-DF-013.js';
import { secretInEnv } from './PC-DF-014.js';
import { secretInRun } from './PC-DF-015.js';
import { copySecretFiles } from './PC-DF-016.js';

/** Every registered Dockerfile rule, in id order. */
export const allRules: readonly DockerfileRule[] = [
  baseImageLatest,
  baseImageDigest,
  untrustedRegistry,
  nonMinimalBase,
  copyFromUnknownStage,
  rootUser,
  runSudo,
  addRemoteUrl,
  pipeToShell,
  tlsVerificationOff,
  exposeSsh,
  chmodWorldWritable,
  compilersInFinalImage,
  secretInEnv,
  secretInRun,
  copySecretFiles,
];
