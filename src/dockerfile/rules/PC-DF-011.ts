import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/** EXPOSE 22: an SSH daemon in a container is extra attack surface; use `kubectl exec`. */
export const exposeSsh: DockerfileRule = {
  id: 'PC-DF-011',
  severity: 'medium',
  title: 'Port 22 (SSH) is exposed',
  hint: 'Do not run sshd in containers; use kubectl exec or docker exec for access.',
  docs: 'docs/rules/PC-DF-011.md',
  equivalents: { trivy: ['DS-0004'], checkov: ['CKV_DOCKER_1'] },
  check(model) {
    return model.instructions
      .filter(
        (i) =>
          i.keyword === 'EXPOSE' &&
          i.args.split(/\s+/).some((p) => /^22(\/tcp)?$/i.test(p) || (/^\d+-\d+/.test(p) && inRange(p))),
      )
      .map((i) => findingAt(this, model, i, 'EXPOSE includes port 22'));
  },
};

function inRange(spec: string): boolean {
  const m = /^(\d+)-(\d+)/.exec(spec);
  return !!m && Number(m[1]) <= 22 && Number(m[2]) >= 22;
}
