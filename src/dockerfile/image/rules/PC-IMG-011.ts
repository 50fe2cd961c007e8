import { splitShellCommands } from '../../shell.js';
import { parseCreatedBy } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

const APT = new Set(['apt-get', 'apt']);

/** `apt-get update`/`install` in a step that does not remove /var/lib/apt/lists: the lists stay in the layer. */
export const aptListsLeft: ImageRule = {
  id: 'PC-IMG-011',
  severity: 'low',
  title: 'apt lists left in the layer',
  hint: 'Update, install and clean up in one RUN: apt-get update && apt-get install -y --no-install-recommends ... && rm -rf /var/lib/apt/lists/*',
  docs: 'docs/rules/PC-IMG-011.md',
  equivalents: { dockle: ['DKL-DI-0005'], hadolint: ['DL3009'] },
  checkConfig({ history }) {
    const out: ImageHit[] = [];
    for (const step of history) {
      const parsed = parseCreatedBy(step.createdBy);
      if (parsed.keyword !== 'RUN' && parsed.keyword !== undefined) continue;
      const commands = splitShellCommands(parsed.args);
      const uses = commands.some(
        (c) => APT.has(c[0] ?? '') && (c.includes('update') || c.includes('install')),
      );
      if (!uses) continue;
      const cleaned = commands.some(
        (c) => c[0] === 'rm' && c.some((w) => w.startsWith('/var/lib/apt/lists')),
      );
      if (!cleaned)
        out.push({
          message: `history entry ${step.index}: apt-get update/install without rm -rf /var/lib/apt/lists/*`,
          layer: step.layer,
        });
    }
    return out;
  },
};
