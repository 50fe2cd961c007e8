import { asArray, asRecord, asString, describeContainer, envEntries, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Secrets handed to containers as environment variables. */
export const secretFromEnv: ObjectRule = {
  meta: {
    id: 'PC-K8S-008',
    severity: 'info',
    title: 'Secret consumed through environment variables',
    hint: 'Mount the Secret as a volume (files are not inherited by child processes, not dumped with the environment, and update without a restart).',
    docs: 'docs/rules/PC-K8S-008.md',
    equivalents: { checkov: ['CKV_K8S_35'], kubesec: ['SecretsAsEnvironmentVariables'] },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const c of pod.containers) {
      for (const { index, name, entry } of envEntries(c)) {
        const ref = asRecord(asRecord(entry['valueFrom'])?.['secretKeyRef']);
        if (ref === undefined) continue;
        yield {
          path: [...c.path, 'env', index, 'valueFrom', 'secretKeyRef'],
          message: `${describeContainer(c)} reads env ${name} from Secret ${asString(ref['name']) ?? '?'}`,
        } satisfies RuleHit;
      }
      const envFrom = asArray(c.container['envFrom']);
      for (let i = 0; i < envFrom.length; i++) {
        const ref = asRecord(asRecord(envFrom[i])?.['secretRef']);
        if (ref === undefined) continue;
        yield {
          path: [...c.path, 'envFrom', i, 'secretRef'],
          message: `${describeContainer(c)} imports every key of Secret ${asString(ref['name']) ?? '?'} as env vars`,
        } satisfies RuleHit;
      }
    }
  },
};
