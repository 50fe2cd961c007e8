import { gitDirOf, isHistoryFile } from '../sensitive.js';
import { toImageHit, type PendingHit } from '../layer-hits.js';
import type { ImageRule } from '../types.js';

/**
 * Files that should never ship and often carry secrets: `.git` directories (history, remotes
 * with tokens, deleted files) and shell or REPL histories (typed passwords, tokens in curl
 * commands). Found in any layer, also when a later layer deletes them.
 */
export const repositoryOrHistoryInLayer: ImageRule = {
  id: 'PC-IMG-005',
  severity: 'medium',
  title: '.git directory or shell history in an image layer',
  hint: 'Exclude .git and dotfiles from the build context with .dockerignore, and build from a clean stage; deleting them in a later layer leaves them in the lower one.',
  docs: 'docs/rules/PC-IMG-005.md',
  equivalents: { dockle: ['DKL-LI-0003'] },
  scanLayers() {
    const hits: PendingHit[] = [];
    // One finding per .git directory per layer, not one per object file in it.
    const seenGit = new Set<string>();
    return {
      visit(entry, paths) {
        if (entry.kind !== 'entry') return undefined;
        const git = gitDirOf(entry.path);
        if (git !== undefined) {
          const key = `${entry.layerIndex}\0${git}`;
          if (!seenGit.has(key)) {
            seenGit.add(key);
            const at = { ...entry, path: git, type: 'dir' as const };
            hits.push({ entry: at, fate: paths.track(at), what: 'git repository' });
          }
          return undefined;
        }
        if (entry.type === 'file' && entry.size > 0 && isHistoryFile(entry.path))
          hits.push({ entry, fate: paths.track(entry), what: 'shell history' });
        return undefined;
      },
      finish: () => hits.map(toImageHit),
    };
  },
};
