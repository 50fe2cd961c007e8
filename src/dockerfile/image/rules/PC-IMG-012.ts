import { parseCreatedBy } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

/** `file:<64 hex>` content ids shortened, so the destination stays readable. */
function shorten(args: string): string {
  // Cut first: the replacement's letters-then-colon search is quadratic on very long input.
  return args
    .trim()
    .slice(0, 400)
    .replace(/\b([a-z]+:[0-9a-f]{12})[0-9a-f]{52}\b/g, '$1…')
    .slice(0, 160);
}

/**
 * ADD of local files in the history: ADD also unpacks archives, which COPY makes explicit.
 * The base image's own root filesystem (the first layer, always an ADD) is not counted, and
 * remote URLs are PC-IMG-008's.
 */
export const addInsteadOfCopy: ImageRule = {
  id: 'PC-IMG-012',
  severity: 'info',
  title: 'ADD instead of COPY in the image history',
  hint: 'Use COPY for local files; keep ADD for archives that must be unpacked.',
  docs: 'docs/rules/PC-IMG-012.md',
  equivalents: { dockle: ['CIS-DI-0009'], trivy: ['DS-0005'], hadolint: ['DL3020'] },
  checkConfig({ history }) {
    const out: ImageHit[] = [];
    for (const step of history) {
      if (step.isBase) continue;
      const parsed = parseCreatedBy(step.createdBy);
      if (parsed.keyword !== 'ADD' || /\b(?:https?|ftp):\/\//i.test(parsed.args)) continue;
      out.push({
        message: `history entry ${step.index}: ADD ${shorten(parsed.args)}`,
        layer: step.layer,
      });
    }
    return out;
  },
};
