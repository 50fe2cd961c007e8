import { isGone, toImageHit, type PendingHit } from '../layer-hits.js';
import type { ImageRule } from '../types.js';

const SETUID = 0o4000;
const SETGID = 0o2000;

/**
 * Setuid and setgid files in the final filesystem: each is a way for a process in the
 * container to gain the file owner's privileges. Most base images have a few (su, passwd,
 * mount); the list is for review, hence info.
 */
export const setuidFiles: ImageRule = {
  id: 'PC-IMG-006',
  severity: 'info',
  title: 'setuid or setgid file',
  hint: 'Remove the bits where the program is not needed (RUN chmod u-s,g-s FILE, or find / -perm /6000 -type f -exec chmod a-s {} +), and run with allowPrivilegeEscalation: false.',
  docs: 'docs/rules/PC-IMG-006.md',
  equivalents: { dockle: ['CIS-DI-0008'] },
  scanLayers() {
    const hits: PendingHit[] = [];
    return {
      visit(entry, paths) {
        if (entry.kind !== 'entry' || entry.type !== 'file') return undefined;
        const bits = entry.mode & (SETUID | SETGID);
        if (bits === 0) return undefined;
        const kind = bits === (SETUID | SETGID) ? 'setuid+setgid' : bits === SETUID ? 'setuid' : 'setgid';
        const mode = entry.mode.toString(8).padStart(4, '0');
        hits.push({
          entry,
          fate: paths.track(entry),
          what: `${kind} file (mode ${mode}, uid ${entry.uid}, gid ${entry.gid})`,
        });
        return undefined;
      },
      // Only what the final filesystem holds: a replaced or deleted copy cannot be executed.
      finish: () => hits.filter((h) => !isGone(h.fate)).map(toImageHit),
    };
  },
};
