import type { DockerfileRule } from '../types.js';
import { findingAt, hasWord, runs } from './util.js';

/** RUN uses sudo (unpredictable TTY and signal behaviour; a sign the build runs as the wrong user). */
export const runSudo: DockerfileRule = {
  id: 'PC-DF-007',
  severity: 'high',
  title: 'RUN uses sudo',
  hint: 'Switch with USER root for the step and back afterwards; use gosu/su-exec at runtime if needed.',
  docs: 'docs/rules/PC-DF-007.md',
  equivalents: { hadolint: ['DL3004'], trivy: ['DS-0010'], checkov: ['CKV2_DOCKER_1'] },
  check(model) {
    return runs(model)
      .filter((i) => hasWord(i.args, 'sudo'))
      .map((i) => findingAt(this, model, i, 'RUN uses sudo'));
  },
};
