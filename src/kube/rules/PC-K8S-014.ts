import { asBoolean, describeContainer, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Privileged containers: every device and capability of the node, no isolation left. */
export const privilegedContainer: ObjectRule = {
  meta: {
    id: 'PC-K8S-014',
    severity: 'critical',
    title: 'Privileged container',
    hint: 'Remove securityContext.privileged; grant the one capability or device the container needs instead.',
    docs: 'docs/rules/PC-K8S-014.md',
    equivalents: {
      trivy: ['KSV-0017'],
      polaris: ['runAsPrivileged'],
      kubeaudit: ['privileged'],
      kubesec: ['Privileged'],
      kubeScore: ['container-security-context-privileged'],
      checkov: ['CKV_K8S_16'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const c of pod.containers) {
      if (asBoolean(c.securityContext['privileged']) !== true) continue;
      yield {
        path: [...c.path, 'securityContext', 'privileged'],
        message: `${describeContainer(c)} is privileged: it has full access to the node`,
      } satisfies RuleHit;
    }
  },
};
