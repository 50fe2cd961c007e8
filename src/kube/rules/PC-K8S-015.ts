import { asBoolean, describeContainer, podOf, isWindowsPod } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Containers that may gain privileges (setuid binaries, file capabilities): the default. */
export const privilegeEscalation: ObjectRule = {
  meta: {
    id: 'PC-K8S-015',
    severity: 'medium',
    title: 'Container allows privilege escalation',
    hint: 'Set securityContext.allowPrivilegeEscalation: false on every container (it is a container field; the pod has none).',
    docs: 'docs/rules/PC-K8S-015.md',
    equivalents: {
      trivy: ['KSV-0001'],
      polaris: ['privilegeEscalationAllowed'],
      kubeaudit: ['privesc'],
      kubesec: ['AllowPrivilegeEscalation'],
      checkov: ['CKV_K8S_20'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined || isWindowsPod(pod)) return;
    for (const c of pod.containers) {
      const value = asBoolean(c.securityContext['allowPrivilegeEscalation']);
      if (value === false) continue;
      yield {
        path: value === true ? [...c.path, 'securityContext', 'allowPrivilegeEscalation'] : c.path,
        message:
          value === true
            ? `${describeContainer(c)} sets allowPrivilegeEscalation: true`
            : `${describeContainer(c)} does not set allowPrivilegeEscalation: false (it defaults to true)`,
      } satisfies RuleHit;
    }
  },
};
