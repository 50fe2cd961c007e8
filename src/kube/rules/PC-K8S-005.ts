import { asRecord, asString } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { decodeBase64, isRealLookingValue } from './secret-values.js';

/** Secret types that PC-K8S-006 and PC-K8S-007 judge instead. */
const OTHER_RULES = new Set([
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/dockercfg',
  'kubernetes.io/service-account-token',
]);

/** Keys of `data` or `stringData` that hold a value worth protecting (not empty, not a placeholder). */
function keysWithValues(field: Readonly<Record<string, unknown>>, encoded: boolean): string[] {
  return Object.entries(field).flatMap(([key, raw]) => {
    const value = asString(raw);
    if (value === undefined) return [];
    const plain = encoded ? decodeBase64(value) : value;
    // A value that is not base64 is broken, but still whatever someone meant to keep secret.
    return plain === undefined || isRealLookingValue(plain) ? [key] : [];
  });
}

/** Secret objects with values in the bundle: the values are in the repository, merely base64. */
export const secretInBundle: ObjectRule = {
  meta: {
    id: 'PC-K8S-005',
    severity: 'high',
    title: 'Secret with data in the manifests',
    hint: 'Keep Secret values out of manifests: sync them from a store with External Secrets Operator or the Secrets Store CSI driver, inject them with Vault, or commit only encrypted Sealed Secrets / SOPS files.',
    docs: 'docs/rules/PC-K8S-005.md',
    equivalents: { checkov: ['CKV_SECRET_*'] },
  },
  *check(object) {
    if (object.resource.kind !== 'Secret') return;
    const type = asString(object.object['type']) ?? 'Opaque';
    if (OTHER_RULES.has(type)) return;
    for (const field of ['data', 'stringData'] as const) {
      const values = asRecord(object.object[field]);
      if (values === undefined) continue;
      const keys = keysWithValues(values, field === 'data');
      if (keys.length === 0) continue;
      const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? `, and ${keys.length - 5} more` : '');
      yield {
        path: [field],
        message: `Secret of type ${type} carries ${keys.length} value(s) in ${field} (${shown}); base64 is not encryption`,
      } satisfies RuleHit;
    }
  },
};
