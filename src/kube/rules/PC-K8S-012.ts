import { asArray, asRecord, asString, podOf, referenceNames } from '../pod.js';
import type { ObjectRule, PathSegment, RuleHit } from '../types.js';
import { bundleManagesPullSecrets, findObjects } from './bundle-index.js';

/** imagePullSecrets (of pods and ServiceAccounts) naming a Secret the bundle does not have. */
export const unknownPullSecret: ObjectRule = {
  meta: {
    id: 'PC-K8S-012',
    severity: 'medium',
    title: 'imagePullSecrets names a Secret that is not in the bundle',
    hint: 'Fix the name, or add the kubernetes.io/dockerconfigjson Secret (portcullis gen pull-secret) to the same namespace; the kubelet skips a missing pull secret silently and the pull fails later.',
    docs: 'docs/rules/PC-K8S-012.md',
    equivalents: {},
  },
  *check(object, context) {
    let listPath: readonly PathSegment[];
    let list: unknown;
    if (object.resource.kind === 'ServiceAccount') {
      listPath = ['imagePullSecrets'];
      list = object.object['imagePullSecrets'];
    } else {
      const pod = podOf(object.resource.kind, object.object);
      if (pod === undefined) return;
      listPath = [...pod.specPath, 'imagePullSecrets'];
      list = pod.spec['imagePullSecrets'];
    }
    if (referenceNames(list).length === 0 || !bundleManagesPullSecrets(context)) return;
    const entries = asArray(list);
    for (let i = 0; i < entries.length; i++) {
      const name = asString(asRecord(entries[i])?.['name']);
      if (name === undefined || name === '' || findObjects(context, 'Secret', name, object).length > 0)
        continue;
      yield {
        path: [...listPath, i],
        message: `imagePullSecrets names Secret ${name}, which is not in the bundle${object.resource.namespace === undefined ? '' : ` (namespace ${object.resource.namespace})`}`,
      } satisfies RuleHit;
    }
  },
};
