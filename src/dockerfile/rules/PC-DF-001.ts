import type { DockerfileRule } from '../types.js';
import { externalStages, findingAt, splitImage } from './util.js';

/** Base image without a tag, or tagged `latest` (checked per stage, after ARG defaults). */
export const baseImageLatest: DockerfileRule = {
  id: 'PC-DF-001',
  severity: 'medium',
  title: 'Base image is untagged or uses latest',
  hint: 'Name a specific version tag (and ideally a digest) in FROM.',
  docs: 'docs/rules/PC-DF-001.md',
  equivalents: { hadolint: ['DL3006', 'DL3007'], trivy: ['DS-0001'], checkov: ['CKV_DOCKER_7'] },
  check(model) {
    return externalStages(model).flatMap((stage) => {
      const parts = splitImage(stage.image);
      if (parts.digest !== undefined) return [];
      if (parts.tag === undefined) {
        return [
          findingAt(this, model, stage.from, `stage ${stage.index} base image ${stage.image} has no tag`),
        ];
      }
      if (parts.tag.toLowerCase() === 'latest') {
        return [
          findingAt(this, model, stage.from, `stage ${stage.index} base image ${stage.image} uses latest`),
        ];
      }
      return [];
    });
  },
};
