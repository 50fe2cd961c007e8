import { asBoolean, asInteger, describeContainer, effectiveSetting, podOf, isWindowsPod } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Containers that run as root, or may (the image's USER decides, and most images say root). */
export const runsAsRoot: ObjectRule = {
  meta: {
    id: 'PC-K8S-013',
    severity: 'high',
    title: 'Container runs as root or may run as root',
    hint: 'Set securityContext.runAsNonRoot: true and a non-zero runAsUser (on the pod or each container), and build the image with a numeric non-root USER.',
    docs: 'docs/rules/PC-K8S-013.md',
    equivalents: {
      trivy: ['KSV-0012'],
      polaris: ['runAsRootAllowed'],
      kubeaudit: ['nonroot'],
      kubesec: ['RunAsNonRoot', 'RunAsUser'],
      checkov: ['CKV_K8S_23', 'CKV_K8S_40'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined || isWindowsPod(pod)) return;
    for (const c of pod.containers) {
      // The effective settings are what the kubelet applies: the container's, else the pod's.
      const user = effectiveSetting(pod, c, 'runAsUser');
      const uid = asInteger(user?.value);
      if (user !== undefined && uid === 0) {
        yield {
          path: user.path,
          message: `${describeContainer(c)} runs as root (runAsUser: 0)`,
        } satisfies RuleHit;
        continue;
      }
      if (uid !== undefined && uid > 0) continue;
      const nonRoot = effectiveSetting(pod, c, 'runAsNonRoot');
      if (asBoolean(nonRoot?.value) === true) continue;
      yield {
        path: nonRoot?.path ?? c.path,
        message: `${describeContainer(c)} sets neither runAsNonRoot: true nor a non-zero runAsUser, so it runs as the image's user (root unless the image says otherwise)`,
      } satisfies RuleHit;
    }
  },
};
