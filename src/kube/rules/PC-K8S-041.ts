import { ESCALATE_OR_BIND, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can escalate or bind roles, reported on each binding and subject with the chain that grants it. */
export const escalateOrBind: BundleRule = {
  meta: {
    id: 'PC-K8S-041',
    severity: 'critical',
    title: 'Subject can escalate or bind roles',
    hint: 'Remove `escalate` and `bind` (and `*` verbs) on roles and clusterroles; if a controller must create bindings, give it `bind` with `resourceNames` listing the roles it may bind.',
    docs: 'docs/rules/PC-K8S-041.md',
    equivalents: {
      trivy: ['KSV-0050'],
      checkov: ['CKV_K8S_157', 'CKV_K8S_158', 'CKV2_K8S_1'],
      rbacTool: ['Identify Privileges Escalators - via bind or escalate'],
      kubeBench: ['5.1.8'],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, ESCALATE_OR_BIND)),
};
