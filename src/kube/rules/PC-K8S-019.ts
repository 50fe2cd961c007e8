import { asArray, asRecord, asString, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

// Container runtime sockets, and the directories holding them: whoever can talk to one can start
// a privileged container on the node.
const RUNTIME_SOCKETS = new Set([
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/crio/crio.sock',
  '/var/run/cri-dockerd.sock',
  '/run/cri-dockerd.sock',
  '/var/run',
  '/run',
  '/var/run/docker',
  '/var/run/containerd',
  '/run/containerd',
]);
// Host paths that give away the node: its root, kernel interfaces, configuration and credentials.
const SENSITIVE = new Set(['/', '/proc', '/sys', '/dev', '/boot', '/etc', '/root', '/home', '/var/lib']);
// Everything below these is node credentials or container state.
const SENSITIVE_TREES = [
  '/var/lib/kubelet',
  '/etc/kubernetes',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/etc/cni',
];

function normalize(path: string): string {
  const p = path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return p === '' ? '/' : p;
}

/** hostPath volumes of the container runtime socket or of node paths that hand over the node. */
export const sensitiveHostPath: ObjectRule = {
  meta: {
    id: 'PC-K8S-019',
    severity: 'critical',
    title: 'hostPath mounts the container runtime socket or a sensitive node path',
    hint: 'Remove the hostPath volume; use the Kubernetes API, a CSI driver or a purpose-built agent instead of the runtime socket or the node filesystem.',
    docs: 'docs/rules/PC-K8S-019.md',
    equivalents: {
      trivy: ['KSV-0006'],
      kubeaudit: ['mounts'],
      kubesec: ['DockerSock'],
      checkov: ['CKV_K8S_27'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    const volumes = asArray(pod.spec['volumes']);
    for (let i = 0; i < volumes.length; i++) {
      const volume = asRecord(volumes[i]);
      const raw = asString(asRecord(volume?.['hostPath'])?.['path']);
      if (raw === undefined) continue;
      const path = normalize(raw);
      const name = asString(volume?.['name']) ?? `volumes[${i}]`;
      const where = [...pod.specPath, 'volumes', i, 'hostPath', 'path'];
      if (RUNTIME_SOCKETS.has(path)) {
        yield {
          path: where,
          message: `volume ${name} mounts ${path} from the node: the container runtime's socket gives root on the node`,
        } satisfies RuleHit;
      } else if (SENSITIVE.has(path) || SENSITIVE_TREES.some((t) => path === t || path.startsWith(`${t}/`))) {
        yield {
          path: where,
          message: `volume ${name} mounts ${path} from the node, which exposes its credentials or kernel interfaces`,
          severity: 'high',
        } satisfies RuleHit;
      }
    }
  },
};
