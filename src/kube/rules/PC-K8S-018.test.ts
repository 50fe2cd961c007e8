import { hostNamespaces } from './PC-K8S-018.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(hostNamespaces, [
  {
    name: 'all three on a Deployment',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      hostNetwork: true
      hostPID: true
      hostIPC: true
      containers: [{ name: a, image: "a:1" }]
`,
    lines: [8, 9, 10],
    messageContains: ['true'],
  },
  {
    name: 'false or unset',
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: false\n  containers: [{ name: a, image: "a:1" }]\n',
    lines: [],
  },
]);
