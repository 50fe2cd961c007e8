import { findAdminBindings, rbacBundleHits } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Bindings of cluster-admin, or of a role granting every verb on everything, reported per subject. */
export const clusterAdminBindings: BundleRule = {
  meta: {
    id: 'PC-K8S-047',
    severity: 'critical',
    title: 'cluster-admin or full control bound to a subject',
    hint: 'Bind a role listing what the subject needs; never bind cluster-admin to ServiceAccounts or to groups such as system:authenticated or system:serviceaccounts.',
    docs: 'docs/rules/PC-K8S-047.md',
    equivalents: {
      trivy: ['KSV-0111'],
      polaris: [
        'clusterrolebindingClusterAdmin',
        'rolebindingClusterAdminClusterRole',
        'rolebindingClusterAdminRole',
      ],
      kubeBench: ['5.1.1'],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, findAdminBindings),
};
