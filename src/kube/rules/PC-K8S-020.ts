import { asBoolean } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** ServiceAccounts that let every pod using them mount an API token by default. */
export const serviceAccountAutomount: ObjectRule = {
  meta: {
    id: 'PC-K8S-020',
    severity: 'low',
    title: 'ServiceAccount automounts API tokens',
    hint: 'Set automountServiceAccountToken: false on the ServiceAccount and turn it on only in the pods that call the Kubernetes API.',
    docs: 'docs/rules/PC-K8S-020.md',
    equivalents: { checkov: ['CKV_K8S_41'], polaris: ['automountServiceAccountToken'] },
  },
  *check(object) {
    if (object.resource.kind !== 'ServiceAccount') return;
    const value = asBoolean(object.object['automountServiceAccountToken']);
    if (value === false) return;
    yield {
      path: ['automountServiceAccountToken'],
      message: `ServiceAccount ${object.resource.name} ${value === true ? 'sets automountServiceAccountToken: true' : 'does not set automountServiceAccountToken: false'}: every pod using it gets an API token`,
    } satisfies RuleHit;
  },
};
