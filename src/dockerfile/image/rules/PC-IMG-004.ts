import { credentialKind } from '../sensitive.js';
import { toImageHit, type PendingHit } from '../layer-hits.js';
import type { ImageRule } from '../types.js';

/**
 * Credential files (private keys, .env, registry and cloud credentials, kubeconfig) in any
 * layer, including layers whose files a later layer deletes: deleting a file only hides it in
 * the merged filesystem, the bytes stay in the lower layer's blob.
 */
export const credentialFileInLayer: ImageRule = {
  id: 'PC-IMG-004',
  severity: 'critical',
  title: 'Credential file in an image layer',
  hint: 'Rotate the credential; rebuild without it in any layer (a later RUN rm does not remove it), using RUN --mount=type=secret or a multi-stage build whose final stage never sees it.',
  docs: 'docs/rules/PC-IMG-004.md',
  equivalents: { dockle: ['CIS-DI-0010'], trivy: ['DS-0031'] },
  scanLayers() {
    const hits: PendingHit[] = [];
    return {
      visit(entry, paths) {
        if (entry.kind !== 'entry' || entry.type !== 'file' || entry.size === 0) return undefined;
        const kind = credentialKind(entry.path);
        if (kind === undefined) return undefined;
        const fate = paths.track(entry);
        const confirm = kind.confirm;
        if (confirm === undefined) {
          hits.push({ entry, fate, what: kind.what });
          return undefined;
        }
        return (content) => {
          if (confirm(content.toString('utf8'))) hits.push({ entry, fate, what: kind.what });
        };
      },
      finish: () => hits.map(toImageHit),
    };
  },
};
