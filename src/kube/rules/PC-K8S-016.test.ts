import { writableRootFilesystem } from './PC-K8S-016.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(writableRootFilesystem, [
  {
    name: 'read-only',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - { name: a, image: "a:1", securityContext: { readOnlyRootFilesystem: true } }
`,
    lines: [],
  },
  {
    name: 'false and unset',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: a:1
      securityContext:
        readOnlyRootFilesystem: false
    - name: b
      image: b:1
`,
    lines: [10, 11],
    messageContains: ['writable root filesystem'],
  },
]);
