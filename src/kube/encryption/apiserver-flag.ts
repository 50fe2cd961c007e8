import { asArray, asString, describeContainer, podOf } from '../pod.js';
import type { ObjectRule, PathSegment, RuleHit } from '../types.js';
import { APISERVER_WITHOUT_ENCRYPTION } from './rules.js';

const FLAG = '--encryption-provider-config';

function runsApiServer(argv: readonly string[]): boolean {
  // `kube-apiserver`, `/usr/local/bin/kube-apiserver`, or a wrapper whose arguments name it.
  return argv.some((a) => a === 'kube-apiserver' || a.endsWith('/kube-apiserver'));
}

/**
 * PC-K8S-095: a kube-apiserver container (a static Pod as kubeadm writes one) whose command and
 * args lack `--encryption-provider-config`, so Secrets go to etcd in plain text. Checkov
 * CKV_K8S_104 and Trivy KCV-0030 check the same flag; the file itself is judged by
 * `portcullis audit encryption-config`.
 */
export const apiServerWithoutEncryption: ObjectRule = {
  meta: APISERVER_WITHOUT_ENCRYPTION,
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const c of pod.containers) {
      const command = asArray(c.container['command']).map((v) => asString(v) ?? '');
      const args = asArray(c.container['args']).map((v) => asString(v) ?? '');
      if (!runsApiServer([...command, ...args])) continue;
      const set = [...command, ...args].some((a) => a === FLAG || a.startsWith(`${FLAG}=`));
      if (set) continue;
      const path: PathSegment[] = [...c.path, command.length > 0 ? 'command' : 'args'];
      yield {
        path,
        message: `${describeContainer(c)} runs kube-apiserver without ${FLAG}: Secrets are stored in etcd in plain text`,
      } satisfies RuleHit;
    }
  },
};
