import type { ImageRule } from '../types.js';

/** The image was named by the `latest` tag or no tag at all, so what is audited can change under the same name. */
export const latestTag: ImageRule = {
  id: 'PC-IMG-007',
  severity: 'medium',
  title: 'Image referenced by the latest tag or untagged',
  hint: 'Reference images by a version tag and, for deployments, by digest (name:tag@sha256:...), so that what runs is what was audited.',
  docs: 'docs/rules/PC-IMG-007.md',
  equivalents: { dockle: ['DKL-DI-0006'], trivy: ['DS-0001'] },
  checkConfig({ reference }) {
    if (reference === undefined || reference.digest !== undefined) return [];
    if (reference.tag !== undefined && reference.tag !== 'latest') return [];
    return [
      {
        message:
          reference.tag === undefined
            ? `${reference.registry}/${reference.repository} has no tag, so it means :latest`
            : `${reference.registry}/${reference.repository} is referenced by the :latest tag`,
      },
    ];
  },
};
