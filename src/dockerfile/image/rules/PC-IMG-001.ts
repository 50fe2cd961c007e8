import type { ImageRule } from '../types.js';

/** The user part of `user[:group]` that means root. */
const ROOT = new Set(['', '0', 'root']);

/** The image config's `User` is empty or root, so containers start as root unless told otherwise. */
export const imageRunsAsRoot: ImageRule = {
  id: 'PC-IMG-001',
  severity: 'high',
  title: 'Image runs as root',
  hint: 'Add a non-root user and end the Dockerfile with USER <uid> (a numeric uid lets Kubernetes runAsNonRoot verify it).',
  docs: 'docs/rules/PC-IMG-001.md',
  equivalents: { dockle: ['CIS-DI-0001'], trivy: ['DS-0002'] },
  checkConfig({ config }) {
    const raw = config.config?.User ?? '';
    const user = raw.trim().split(':')[0] ?? '';
    if (!ROOT.has(user.toLowerCase())) return [];
    return [
      {
        message:
          raw.trim() === ''
            ? 'the image config sets no User, so containers run as root'
            : `the image config's User "${raw}" is root`,
      },
    ];
  },
};
