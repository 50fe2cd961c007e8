import { privilegedContainer } from './PC-K8S-014.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(privilegedContainer, [
  {
    name: 'privileged init container of a DaemonSet',
    yaml: `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ds
spec:
  template:
    spec:
      initContainers:
        - name: sysctl
          image: busybox:1.36
          securityContext:
            privileged: true
      containers:
        - { name: app, image: "a:1", securityContext: { privileged: false } }
`,
    lines: [12],
    messageContains: ['init container "sysctl"'],
  },
  {
    name: 'unset or false',
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{ name: a, image: "a:1" }]\n',
    lines: [],
  },
]);
