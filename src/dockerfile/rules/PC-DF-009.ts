import type { DockerfileRule } from '../types.js';
import { findingAt, runs } from './util.js';

const PIPE_TO_SHELL =
  /\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+)?(\S*\/)?(sh|bash|zsh|ash|dash|ksh|python3?|perl)\b/;

/** `curl … | sh`: runs whatever the server returns, unverified. */
export const pipeToShell: DockerfileRule = {
  id: 'PC-DF-009',
  severity: 'high',
  title: 'RUN pipes a download straight into a shell',
  hint: 'Download to a file, verify its checksum or signature, then run it.',
  docs: 'docs/rules/PC-DF-009.md',
  equivalents: {},
  check(model) {
    return runs(model)
      .filter((i) => PIPE_TO_SHELL.test(i.args))
      .map((i) => findingAt(this, model, i, 'a download is piped into an interpreter without verification'));
  },
};
