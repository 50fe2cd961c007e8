import type { ImageRule } from '../types.js';
import { imageRunsAsRoot } from './PC-IMG-001.js';
import { secretInConfig } from './PC-IMG-002.js';
import { secretInHistory } from './PC-IMG-003.js';
import { credentialFileInLayer } from './PC-IMG-004.js';
import { repositoryOrHistoryInLayer } from './PC-IMG-005.js';
import { setuidFiles } from './PC-IMG-006.js';
import { latestTag } from './PC-IMG-007.js';
import { addRemoteUrlInHistory } from './PC-IMG-008.js';
import { noHealthcheck } from './PC-IMG-009.js';
import { apkAddWithCache } from './PC-IMG-010.js';
import { aptListsLeft } from './PC-IMG-011.js';
import { addInsteadOfCopy } from './PC-IMG-012.js';

/** Every image audit rule, in id order. */
export const allImageRules: readonly ImageRule[] = [
  imageRunsAsRoot,
  secretInConfig,
  secretInHistory,
  credentialFileInLayer,
  repositoryOrHistoryInLayer,
  setuidFiles,
  latestTag,
  addRemoteUrlInHistory,
  noHealthcheck,
  apkAddWithCache,
  aptListsLeft,
  addInsteadOfCopy,
];
