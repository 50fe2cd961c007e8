import { serviceAccountAutomount } from './PC-K8S-020.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(serviceAccountAutomount, [
  {
    name: 'turned off',
    yaml: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\nautomountServiceAccountToken: false\n',
    lines: [],
  },
  {
    name: 'true, and unset (reported on the object)',
    yaml: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\nautomountServiceAccountToken: true\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n',
    lines: [5, 7],
    messageContains: ['ServiceAccount'],
  },
]);
