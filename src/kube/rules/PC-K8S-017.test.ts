import { addedCapabilities } from './PC-K8S-017.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (caps: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: a:1
      securityContext:
        capabilities: ${caps}
`;

describeRuleCases(addedCapabilities, [
  {
    name: 'drop ALL, add NET_BIND_SERVICE',
    yaml: pod('{ drop: [ALL], add: [NET_BIND_SERVICE] }'),
    lines: [],
  },
  {
    name: 'dangerous and other added capabilities, any spelling',
    yaml: pod('{ drop: [all], add: [cap_sys_admin, CHOWN] }'),
    lines: [10, 10],
    severities: ['high', 'medium'],
    messageContains: ['adds capability'],
  },
  {
    name: 'no drop ALL',
    yaml: pod('{ drop: [NET_RAW] }'),
    lines: [10],
    severities: ['low'],
  },
  {
    name: 'no securityContext at all',
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: a:1\n',
    lines: [7],
    severities: ['low'],
  },
  {
    name: 'Windows pods have no Linux capabilities',
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\nspec:\n  os: { name: windows }\n  containers: [{ name: a, image: "a:1" }]\n',
    lines: [],
  },
]);
