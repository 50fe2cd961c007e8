import { splitShellCommands } from '../../shell.js';
import { parseCreatedBy } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

/** `apk add` without `--no-cache` (and no later removal of /var/cache/apk) leaves the index in the layer. */
export const apkAddWithCache: ImageRule = {
  id: 'PC-IMG-010',
  severity: 'low',
  title: 'apk add without --no-cache',
  hint: 'Use apk add --no-cache, so the package index is not stored in the layer.',
  docs: 'docs/rules/PC-IMG-010.md',
  equivalents: { dockle: ['DKL-DI-0004'], trivy: ['DS-0025'], hadolint: ['DL3019'] },
  checkConfig({ history }) {
    const out: ImageHit[] = [];
    for (const step of history) {
      const parsed = parseCreatedBy(step.createdBy);
      if (parsed.keyword !== 'RUN' && parsed.keyword !== undefined) continue;
      const commands = splitShellCommands(parsed.args);
      const cleaned = commands.some((c) => c[0] === 'rm' && c.some((w) => w.startsWith('/var/cache/apk')));
      const cached = commands.some((c) => c[0] === 'apk' && c.includes('add') && !c.includes('--no-cache'));
      if (cached && !cleaned)
        out.push({ message: `history entry ${step.index}: apk add without --no-cache`, layer: step.layer });
    }
    return out;
  },
};
