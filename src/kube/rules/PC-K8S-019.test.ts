import { sensitiveHostPath } from './PC-K8S-019.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (paths: string[]) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers: [{ name: a, image: "a:1" }]
  volumes:
${paths.map((p, i) => `    - name: v${i}\n      hostPath:\n        path: ${p}\n`).join('')}`;

describeRuleCases(sensitiveHostPath, [
  { name: 'ordinary host paths', yaml: pod(['/var/log/pods', '/etc/ssl/certs', '/data']), lines: [] },
  {
    name: 'runtime sockets are critical, node credentials high',
    yaml: pod(['/var/run/docker.sock', '/run/containerd/containerd.sock/', '/proc', '/var/lib/kubelet/pki']),
    lines: [10, 13, 16, 19],
    severities: ['critical', 'critical', 'high', 'high'],
    messageContains: ['volume v'],
  },
]);
