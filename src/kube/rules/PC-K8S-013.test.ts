import { runsAsRoot } from './PC-K8S-013.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (podSc: string, containers: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext: ${podSc}
  containers:
${containers}`;

describeRuleCases(runsAsRoot, [
  {
    name: 'runAsNonRoot on the pod, runAsUser on a container',
    yaml: pod(
      '{ runAsNonRoot: true }',
      '    - { name: a, image: a:1 }\n    - { name: b, image: b:1, securityContext: { runAsUser: 1000 } }\n',
    ),
    lines: [],
  },
  {
    name: 'nothing set: the image decides',
    yaml: pod('{}', '    - name: a\n      image: a:1\n'),
    lines: [8],
    messageContains: ['container "a"', 'runAsNonRoot'],
  },
  {
    name: 'runAsUser 0 wins over runAsNonRoot true (the kubelet refuses to start it)',
    yaml: pod(
      '{ runAsNonRoot: true }',
      '    - name: a\n      image: a:1\n      securityContext:\n        runAsUser: 0\n',
    ),
    lines: [11],
    messageContains: ['runAsUser: 0'],
  },
  {
    name: 'the container overrides the pod, both ways',
    yaml: pod(
      '{ runAsUser: 0 }',
      '    - { name: a, image: a:1, securityContext: { runAsUser: 1001 } }\n    - { name: b, image: b:1 }\n',
    ),
    lines: [6],
    messageContains: ['container "b"'],
  },
  {
    name: 'runAsNonRoot false on the container',
    yaml: pod(
      '{ runAsNonRoot: true }',
      '    - name: a\n      image: a:1\n      securityContext:\n        runAsNonRoot: false\n',
    ),
    lines: [11],
  },
  {
    name: 'Windows pods have no runAsNonRoot to set',
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\nspec:\n  os: { name: windows }\n  containers: [{ name: a, image: "a:1" }]\n',
    lines: [],
  },
]);
