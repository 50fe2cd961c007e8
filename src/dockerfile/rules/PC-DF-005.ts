import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/** `COPY --from=` names a stage that is not defined before the current one. */
export const copyFromUnknownStage: DockerfileRule = {
  id: 'PC-DF-005',
  severity: 'high',
  title: 'COPY --from names an unknown, current or later stage',
  hint: 'Refer to a stage defined earlier (by alias or index), or to a full image reference.',
  docs: 'docs/rules/PC-DF-005.md',
  equivalents: { hadolint: ['DL3022'], trivy: ['DS-0006'] },
  check(model) {
    const out = [];
    for (const stage of model.stages) {
      for (const ins of stage.instructions) {
        if (ins.keyword !== 'COPY') continue;
        const m = /(?:^|\s)--from=("[^"]*"|\S+)/i.exec(ins.args);
        if (!m) continue;
        const from = (m[1] ?? '').replace(/^"(.*)"$/, '$1');
        const lower = from.toLowerCase();
        if (/^\d+$/.test(from)) {
          if (Number(from) >= stage.index)
            out.push(
              findingAt(
                this,
                model,
                ins,
                `COPY --from=${from} refers to stage ${from}, which is not an earlier stage`,
              ),
            );
          continue;
        }
        const target = model.stages.find((s) => s.alias?.toLowerCase() === lower);
        if (target !== undefined) {
          if (target.index >= stage.index) {
            const which = target.index === stage.index ? 'the current stage' : 'a later stage';
            out.push(findingAt(this, model, ins, `COPY --from=${from} refers to ${which}`));
          }
          continue;
        }
        // Not a stage: an image reference has a tag, digest, registry or path; a bare word is most likely a typo.
        if (!/[:/@.]/.test(from) && !from.includes('$')) {
          out.push(
            findingAt(this, model, ins, `COPY --from=${from} names no stage defined in this Dockerfile`),
          );
        }
      }
    }
    return out;
  },
};
