import { legacyTokenSecret } from './PC-K8S-007.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(legacyTokenSecret, [
  {
    name: 'token Secret',
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: build-robot-secret
  annotations:
    kubernetes.io/service-account.name: build-robot
type: kubernetes.io/service-account-token
`,
    lines: [7],
  },
  {
    name: 'other Secret types',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n',
    lines: [],
  },
]);
