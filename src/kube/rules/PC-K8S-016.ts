import { asBoolean, describeContainer, podOf, isWindowsPod } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Containers whose root filesystem is writable: tools and payloads can be dropped into it. */
export const writableRootFilesystem: ObjectRule = {
  meta: {
    id: 'PC-K8S-016',
    severity: 'medium',
    title: 'Container root filesystem is writable',
    hint: 'Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the program must write (/tmp, caches).',
    docs: 'docs/rules/PC-K8S-016.md',
    equivalents: {
      trivy: ['KSV-0014'],
      kubeaudit: ['rootfs'],
      kubesec: ['ReadOnlyRootFilesystem'],
      kubeScore: ['container-security-context-readonlyrootfilesystem'],
      checkov: ['CKV_K8S_22'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined || isWindowsPod(pod)) return;
    for (const c of pod.containers) {
      const value = asBoolean(c.securityContext['readOnlyRootFilesystem']);
      if (value === true) continue;
      yield {
        path: value === false ? [...c.path, 'securityContext', 'readOnlyRootFilesystem'] : c.path,
        message: `${describeContainer(c)} has a writable root filesystem (readOnlyRootFilesystem is ${value === false ? 'false' : 'not set'})`,
      } satisfies RuleHit;
    }
  },
};
