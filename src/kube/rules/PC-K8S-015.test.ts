import { privilegeEscalation } from './PC-K8S-015.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(privilegeEscalation, [
  {
    name: 'false on every container',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - { name: a, image: "a:1", securityContext: { allowPrivilegeEscalation: false } }
`,
    lines: [],
  },
  {
    name: 'true, and unset (the default is true); the pod has no such field',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    allowPrivilegeEscalation: false
  containers:
    - name: a
      image: a:1
      securityContext:
        allowPrivilegeEscalation: true
    - name: b
      image: b:1
`,
    lines: [12, 13],
    severities: ['medium', 'medium'],
  },
]);
