import { unknownPullSecret } from './PC-K8S-012.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (ns: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ${ns}
spec:
  imagePullSecrets:
    - name: regcred
    - name: typo
  containers: [{ name: a, image: "registry.example.com/a:1" }]
`;
const secret = (ns: string) => `---
apiVersion: v1
kind: Secret
metadata:
  name: regcred
  namespace: ${ns}
type: kubernetes.io/dockerconfigjson
`;

describeRuleCases(unknownPullSecret, [
  { name: 'bundle without Secrets: the cluster has them', yaml: pod('shop'), lines: [] },
  {
    name: 'bundle with Secrets: a name it lacks',
    yaml: pod('shop') + secret('shop'),
    lines: [9],
    messageContains: ['typo', 'namespace shop'],
  },
  { name: 'Secret in another namespace', yaml: pod('shop') + secret('other'), lines: [8, 9] },
  {
    name: 'ServiceAccount imagePullSecrets',
    yaml: `apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
imagePullSecrets:
  - name: missing
`,
    lines: [6],
  },
]);
