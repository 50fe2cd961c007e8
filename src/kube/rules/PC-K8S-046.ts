import { findWildcardRoles, rbacBundleHits } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Roles and ClusterRoles with `*` in verbs, resources or apiGroups, reported on the role. */
export const wildcardRoles: BundleRule = {
  meta: {
    id: 'PC-K8S-046',
    severity: 'medium',
    title: 'Role uses wildcards',
    hint: 'List the verbs, resources and API groups the role needs; `*` also grants whatever is added to the cluster later.',
    docs: 'docs/rules/PC-K8S-046.md',
    equivalents: {
      trivy: ['KSV-0044', 'KSV-0045', 'KSV-0046', 'KSV-0112'],
      checkov: ['CKV_K8S_49'],
      kubeBench: ['5.1.3'],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, findWildcardRoles),
};
