import { asBoolean, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

const NAMESPACES = [
  ['hostNetwork', "the node's network stack (every interface, localhost services, the kubelet)"],
  ['hostPID', "the node's processes (signal and ptrace them, read their environment)"],
  ['hostIPC', "the node's shared memory and IPC objects"],
] as const;

/** Pods that share the node's network, PID or IPC namespace. */
export const hostNamespaces: ObjectRule = {
  meta: {
    id: 'PC-K8S-018',
    severity: 'high',
    title: "Pod shares the node's network, PID or IPC namespace",
    hint: 'Remove hostNetwork, hostPID and hostIPC; expose ports through a Service, and run node agents only in a namespace set aside for them.',
    docs: 'docs/rules/PC-K8S-018.md',
    equivalents: {
      trivy: ['KSV-0008', 'KSV-0009', 'KSV-0010'],
      kubeaudit: ['hostns'],
      kubesec: ['HostNetwork', 'HostPID', 'HostIPC'],
      polaris: ['hostNetworkSet', 'hostPIDSet', 'hostIPCSet'],
      checkov: ['CKV_K8S_17', 'CKV_K8S_18', 'CKV_K8S_19'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const [field, what] of NAMESPACES) {
      if (asBoolean(pod.spec[field]) !== true) continue;
      yield {
        path: [...pod.specPath, field],
        message: `pod sets ${field}: true and sees ${what}`,
      } satisfies RuleHit;
    }
  },
};
