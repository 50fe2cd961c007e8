import { asRecord, asString } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { secretAssignments, secretPair } from './secret-values.js';

/** ConfigMap data that holds credentials: ConfigMaps are not treated as secret by anyone. */
export const configMapCredentials: ObjectRule = {
  meta: {
    id: 'PC-K8S-002',
    severity: 'high',
    title: 'ConfigMap holds a credential',
    hint: 'Keep credentials out of ConfigMaps: put them in a Secret from an external store and reference it; leave only non-secret settings in the ConfigMap.',
    docs: 'docs/rules/PC-K8S-002.md',
    equivalents: { trivy: ['KSV-0109'], polaris: ['sensitiveConfigmapContent'], checkov: ['CKV_SECRET_*'] },
  },
  *check(object) {
    if (object.resource.kind !== 'ConfigMap') return;
    const data = asRecord(object.object['data']);
    if (data === undefined) return;
    for (const [key, raw] of Object.entries(data)) {
      const value = asString(raw);
      if (value === undefined) continue;
      // A config file (several lines) is judged line by line, so the message can say where.
      const inner = value.includes('\n') ? secretAssignments(value) : [];
      const why =
        inner.length > 0
          ? inner
              .slice(0, 3)
              .map(([line, what]) => `line ${line}: ${what}`)
              .join('; ') + (inner.length > 3 ? `; and ${inner.length - 3} more` : '')
          : secretPair(key, value);
      if (why === undefined) continue;
      yield {
        path: ['data', key],
        message: `ConfigMap key ${key} holds a credential (${why})`,
      } satisfies RuleHit;
    }
  },
};
