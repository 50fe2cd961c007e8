import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/**
 * chmod giving everyone write access (777, 666, a+w, o+w). Modes with the sticky bit (1777,
 * 3777: the /tmp pattern, where users cannot remove each other's files) are not reported.
 */
export const chmodWorldWritable: DockerfileRule = {
  id: 'PC-DF-012',
  severity: 'medium',
  title: 'chmod makes files world-writable',
  hint: 'Grant only what is needed (e.g. 755 for directories, 644 for files) and chown to the runtime user.',
  docs: 'docs/rules/PC-DF-012.md',
  equivalents: {},
  check(model) {
    const re = /\bchmod\s+(-[a-zA-Z]+\s+)*(0?[0246]?[0-7][0-7][2367]\b|[ao]*[ao][ao]*\+[rx]*w)/;
    const copy = /--chmod=0?[0246]?[0-7][0-7][2367]\b/;
    return model.instructions
      .filter(
        (i) =>
          (i.keyword === 'RUN' && re.test(i.args)) ||
          ((i.keyword === 'COPY' || i.keyword === 'ADD') && copy.test(i.args)),
      )
      .map((i) => findingAt(this, model, i, 'files are made world-writable'));
  },
};
