import { asString, describeContainer, envEntries, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { secretPair } from './secret-values.js';

/** Container env `value` literals that hold a credential. */
export const envSecretLiteral: ObjectRule = {
  meta: {
    id: 'PC-K8S-001',
    severity: 'high',
    title: 'Secret in a container env value',
    hint: 'Move the value into a Secret held outside the manifests (External Secrets, Secrets Store CSI, Vault) and mount it as a file; never write it in env[].value.',
    docs: 'docs/rules/PC-K8S-001.md',
    equivalents: { polaris: ['sensitiveContainerEnvVar'], checkov: ['CKV_SECRET_*'] },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const c of pod.containers) {
      for (const { index, name, entry } of envEntries(c)) {
        const value = asString(entry['value']);
        const why = value === undefined ? undefined : secretPair(name, value);
        if (why === undefined) continue;
        yield {
          path: [...c.path, 'env', index, 'value'],
          message: `${describeContainer(c)} sets env ${name} to a credential (${why})`,
        } satisfies RuleHit;
      }
    }
  },
};
