import { clusterRole, lineWith, role, rule } from '../rbac/testdata/manifests.js';
import { wildcardRoles } from './PC-K8S-046.js';
import { describeRuleCases } from './testdata/cases.js';

const all = clusterRole('all', rule('"*"', '"*"', '"*"'));
const verbs = role('apps', 'verbs', rule('""', 'configmaps', 'get') + rule('""', 'pods', '"*"'));
const explicit = role('apps', 'explicit', rule('apps', 'deployments', 'get, list'));
const aggregated = clusterRole(
  'agg',
  rule('"*"', '"*"', '"*"'),
  'aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { a: b }\n',
);

describeRuleCases(wildcardRoles, [
  {
    name: '`*` everywhere: high',
    yaml: all,
    lines: [lineWith(all, '- apiGroups')],
    severities: ['high'],
    messageContains: ['rules[0] verbs, resources and apiGroups'],
  },
  {
    name: '`*` verbs in the second rule: medium',
    yaml: verbs,
    lines: [lineWith(verbs, '- apiGroups', 2)],
    messageContains: ['rules[1] verbs'],
  },
  { name: 'explicit lists', yaml: explicit, lines: [] },
  { name: "an aggregated role's own rules are replaced by the controller", yaml: aggregated, lines: [] },
]);
