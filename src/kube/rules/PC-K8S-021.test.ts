import { podAutomount } from './PC-K8S-021.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
spec:
${spec}  containers: [{ name: a, image: "a:1" }]
`;
const sa = (automount: string) =>
  `---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n${automount}`;

describeRuleCases(podAutomount, [
  {
    name: 'pod turns it off',
    yaml: pod('  automountServiceAccountToken: false\n') + sa('automountServiceAccountToken: true\n'),
    lines: [],
  },
  {
    name: 'its ServiceAccount turns it off',
    yaml: pod('  serviceAccountName: app\n') + sa('automountServiceAccountToken: false\n'),
    lines: [],
  },
  {
    name: 'pod true wins over the ServiceAccount',
    yaml:
      pod('  serviceAccountName: app\n  automountServiceAccountToken: true\n') +
      sa('automountServiceAccountToken: false\n'),
    lines: [8],
  },
  {
    name: 'defaults, ServiceAccount not in the bundle',
    yaml: pod(''),
    lines: [6],
    messageContains: ['default'],
  },
  {
    name: 'ServiceAccount in the bundle leaves it on',
    yaml: pod('  serviceAccountName: app\n') + sa(''),
    lines: [6],
  },
]);
