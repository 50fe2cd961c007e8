import { matchesRepositoryPrefix } from '../../imageref/index.js';
import { podImages, podOf, referenceNames, serviceAccountName } from '../pod.js';
import type { AuditContext, LoadedObject, ObjectRule, RuleHit } from '../types.js';
import { findObjects } from './bundle-index.js';
import { pullSecretRegistries } from './policy-lists.js';

/** imagePullSecrets the pod gets from its ServiceAccount, when that account is in the bundle. */
function serviceAccountPullSecrets(object: LoadedObject, account: string, context: AuditContext): string[] {
  return findObjects(context, 'ServiceAccount', account, object).flatMap((o) =>
    referenceNames(o.object['imagePullSecrets']),
  );
}

/** Images from the policy's private registries (requirePullSecretsFor) in pods with no pull secret. */
export const missingPullSecret: ObjectRule = {
  meta: {
    id: 'PC-K8S-011',
    severity: 'medium',
    title: 'Private-registry image without imagePullSecrets',
    hint: 'Add spec.imagePullSecrets naming a kubernetes.io/dockerconfigjson Secret for that registry, or give the pod a ServiceAccount whose imagePullSecrets carry it.',
    docs: 'docs/rules/PC-K8S-011.md',
    equivalents: {},
  },
  *check(object, context) {
    const registries = pullSecretRegistries(context.policy);
    if (registries.length === 0) return;
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined || referenceNames(pod.spec['imagePullSecrets']).length > 0) return;
    const account = serviceAccountName(pod);
    if (serviceAccountPullSecrets(object, account, context).length > 0) return;
    for (const { label, image, path } of podImages(pod)) {
      const from = registries.find((p) => matchesRepositoryPrefix(image, p));
      if (from === undefined) continue;
      yield {
        path,
        message: `${label} pulls ${image} from ${from}, but neither the pod nor its ServiceAccount ${account} has imagePullSecrets`,
      } satisfies RuleHit;
    }
  },
};
