import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/** ADD of a remote URL: fetched at build time without checksum verification unless --checksum is given. */
export const addRemoteUrl: DockerfileRule = {
  id: 'PC-DF-008',
  severity: 'medium',
  title: 'ADD fetches a remote URL',
  hint: 'Download with curl/wget and verify a checksum in RUN, or use ADD --checksum=sha256:<hex>.',
  docs: 'docs/rules/PC-DF-008.md',
  equivalents: {},
  check(model) {
    return model.instructions
      .filter(
        (i) =>
          i.keyword === 'ADD' &&
          /(^|\s)(https?|ftp):\/\//i.test(i.args) &&
          !/(^|\s)--checksum=/i.test(i.args),
      )
      .map((i) => findingAt(this, model, i, 'ADD downloads a remote URL without a checksum'));
  },
};
