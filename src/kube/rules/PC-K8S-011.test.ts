import { parsePolicy } from '../../policy/index.js';
import { missingPullSecret } from './PC-K8S-011.js';
import { describeRuleCases } from './testdata/cases.js';

const policy = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: private
    kind: requirePullSecretsFor
    registries: [registry.example.com]
`);

const deployment = (extra: string, account = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: shop
spec:
  template:
    spec:${account}
      containers:
        - name: app
          image: registry.example.com/shop/app:1
        - name: proxy
          image: nginx:1.27
${extra}`;

describeRuleCases(missingPullSecret, [
  {
    name: 'no pull secret anywhere',
    policy,
    yaml: deployment(''),
    lines: [11],
    messageContains: ['registry.example.com', 'ServiceAccount default'],
  },
  {
    name: 'pod imagePullSecrets',
    policy,
    yaml: deployment('      imagePullSecrets: [{ name: regcred }]\n'),
    lines: [],
  },
  {
    name: "the ServiceAccount's imagePullSecrets",
    policy,
    yaml:
      deployment('', '\n      serviceAccountName: shop') +
      '---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n  namespace: shop\nimagePullSecrets: [{ name: regcred }]\n',
    lines: [],
  },
  {
    name: 'a ServiceAccount of the same name in another namespace does not count',
    policy,
    yaml:
      deployment('', '\n      serviceAccountName: shop') +
      '---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n  namespace: other\nimagePullSecrets: [{ name: regcred }]\n',
    lines: [12],
  },
  { name: 'no requirePullSecretsFor rule', yaml: deployment(''), lines: [] },
]);
