import type { DockerfileRule } from '../types.js';
import { externalStages, findingAt, splitImage } from './util.js';

/** Base image not pinned by digest, so the bytes behind the tag can change. */
export const baseImageDigest: DockerfileRule = {
  id: 'PC-DF-002',
  severity: 'low',
  title: 'Base image is not pinned by digest',
  hint: 'Append @sha256:<digest> to the FROM image and let a bot update it.',
  docs: 'docs/rules/PC-DF-002.md',
  equivalents: {},
  check(model) {
    return externalStages(model)
      .filter((s) => splitImage(s.image).digest === undefined)
      .map((s) => findingAt(this, model, s.from, `base image ${s.image} is not pinned by digest`));
  },
};
