import { CREATE_WORKLOADS, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can create pods or workloads, reported on each binding and subject with the chain that grants it. */
export const createWorkloads: BundleRule = {
  meta: {
    id: 'PC-K8S-043',
    severity: 'high',
    title: 'Subject can create pods or workloads',
    hint: 'Let a deployment pipeline (one ServiceAccount per namespace) create workloads, not people or application ServiceAccounts; keep Secrets of other applications in other namespaces.',
    docs: 'docs/rules/PC-K8S-043.md',
    equivalents: { trivy: ['KSV-0048'], rbacTool: ['Workload Creators & Editors'], kubeBench: ['5.1.4'] },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, CREATE_WORKLOADS)),
};
