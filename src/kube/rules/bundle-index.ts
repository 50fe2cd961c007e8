// Lookups across the bundle for the rules that follow references (a pod's ServiceAccount, an
// imagePullSecrets name). Built once per bundle, so a rule stays linear in the bundle's size
// instead of scanning every object for every pod.
import type { AuditContext, LoadedObject } from '../types.js';
import { referenceNames, sameNamespace } from '../pod.js';

type BundleIndex = {
  readonly byKindName: ReadonlyMap<string, readonly LoadedObject[]>;
  /** The bundle holds Secrets, or a ServiceAccount that carries imagePullSecrets. */
  readonly managesPullSecrets: boolean;
};

const indexes = new WeakMap<readonly LoadedObject[], BundleIndex>();

function indexOf(context: AuditContext): BundleIndex {
  let index = indexes.get(context.objects);
  if (index === undefined) {
    const byKindName = new Map<string, LoadedObject[]>();
    let managesPullSecrets = false;
    for (const o of context.objects) {
      const key = `${o.resource.kind}/${o.resource.name}`;
      byKindName.set(key, [...(byKindName.get(key) ?? []), o]);
      if (o.resource.kind === 'Secret') managesPullSecrets = true;
      if (o.resource.kind === 'ServiceAccount' && referenceNames(o.object['imagePullSecrets']).length > 0) {
        managesPullSecrets = true;
      }
    }
    index = { byKindName, managesPullSecrets };
    indexes.set(context.objects, index);
  }
  return index;
}

/** The objects of `kind` named `name` that can share a namespace with `near`. */
export function findObjects(
  context: AuditContext,
  kind: string,
  name: string,
  near: LoadedObject,
): readonly LoadedObject[] {
  return (indexOf(context).byKindName.get(`${kind}/${name}`) ?? []).filter((o) =>
    sameNamespace(o.resource.namespace, near.resource.namespace),
  );
}

/**
 * Whether the bundle says anything about pull secrets: it holds Secrets, or a ServiceAccount
 * that carries imagePullSecrets. A bundle of workloads alone leaves Secrets to the cluster.
 */
export function bundleManagesPullSecrets(context: AuditContext): boolean {
  return indexOf(context).managesPullSecrets;
}
