import { IMPERSONATE, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can impersonate, reported on each binding and subject with the chain that grants it. */
export const impersonate: BundleRule = {
  meta: {
    id: 'PC-K8S-042',
    severity: 'critical',
    title: 'Subject can impersonate users, groups or ServiceAccounts',
    hint: 'Remove `impersonate` (and `*` verbs) on users, groups, serviceaccounts, uids and userextras, or limit it with `resourceNames` to the identities a proxy must act as.',
    docs: 'docs/rules/PC-K8S-042.md',
    equivalents: {
      trivy: ['KSV-0043'],
      checkov: ['CKV2_K8S_3'],
      rbacTool: ['Identify Privileges Escalators - via impersonate'],
      kubeBench: ['5.1.8'],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, IMPERSONATE)),
};
