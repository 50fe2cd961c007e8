import { asBoolean, podOf, serviceAccountName } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { findObjects } from './bundle-index.js';

/** Pods that get an API token mounted without asking for one: the pod's setting, else its account's. */
export const podAutomount: ObjectRule = {
  meta: {
    id: 'PC-K8S-021',
    severity: 'low',
    title: 'Pod automounts an API token',
    hint: 'Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount) unless the pod calls the Kubernetes API; then use a ServiceAccount of its own with the least RBAC.',
    docs: 'docs/rules/PC-K8S-021.md',
    equivalents: {
      trivy: ['KSV-0036'],
      checkov: ['CKV_K8S_38'],
      polaris: ['automountServiceAccountToken'],
      kubeaudit: ['asat'],
      kubesec: ['AutomountServiceAccountToken'],
    },
  },
  *check(object, context) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    const own = asBoolean(pod.spec['automountServiceAccountToken']);
    if (own === false) return;
    const account = serviceAccountName(pod);
    if (own === true) {
      yield {
        path: [...pod.specPath, 'automountServiceAccountToken'],
        message: `pod sets automountServiceAccountToken: true and gets a token for ServiceAccount ${account}`,
      } satisfies RuleHit;
      return;
    }
    // The pod leaves it to its ServiceAccount; a ServiceAccount in the bundle that turns it off
    // settles it. One that is not in the bundle is unknown, and the default is to mount.
    const sa = findObjects(context, 'ServiceAccount', account, object)[0];
    if (sa !== undefined && asBoolean(sa.object['automountServiceAccountToken']) === false) return;
    yield {
      path: pod.specPath,
      message: `pod gets an API token for ServiceAccount ${account}: neither the pod nor ${sa === undefined ? 'a ServiceAccount in the bundle' : 'the ServiceAccount'} sets automountServiceAccountToken: false`,
    } satisfies RuleHit;
  },
};
