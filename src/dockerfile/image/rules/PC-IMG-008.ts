import { parseCreatedBy } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

const URL = /\b(?:https?|ftp):\/\/\S+/i;

/** ADD of a remote URL, as recorded in the history: content fetched at build time, unverified. */
export const addRemoteUrlInHistory: ImageRule = {
  id: 'PC-IMG-008',
  severity: 'medium',
  title: 'ADD of a remote URL in the image history',
  hint: 'Download with curl or wget in a RUN step that checks a pinned checksum (or ADD --checksum=sha256:...), preferably in a build stage.',
  docs: 'docs/rules/PC-IMG-008.md',
  equivalents: {},
  checkConfig({ history }) {
    const out: ImageHit[] = [];
    for (const step of history) {
      const parsed = parseCreatedBy(step.createdBy);
      if (parsed.keyword !== 'ADD') continue;
      const url = URL.exec(parsed.args);
      if (!url) continue;
      // The URL's query string may carry a token; show the host and path only.
      const shown = url[0].replace(/[?#].*$/, '').replace(/\/\/[^/@]*@/, '//');
      out.push({ message: `history entry ${step.index}: ADD ${shown}`, layer: step.layer });
    }
    return out;
  },
};
