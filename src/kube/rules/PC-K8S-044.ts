import { POD_EXEC, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can exec into or attach to pods, reported on each binding and subject with the chain that grants it. */
export const podExec: BundleRule = {
  meta: {
    id: 'PC-K8S-044',
    severity: 'high',
    title: 'Subject can exec into or attach to pods',
    hint: 'Remove `create` and `get` on pods/exec and pods/attach except for break-glass roles bound for the time they are needed.',
    docs: 'docs/rules/PC-K8S-044.md',
    equivalents: {
      trivy: ['KSV-0053', 'KSV-0054'],
      checkov: ['CKV2_K8S_2'],
      polaris: [
        'clusterrolePodExecAttach',
        'rolePodExecAttach',
        'clusterrolebindingPodExecAttach',
        'rolebindingClusterRolePodExecAttach',
        'rolebindingRolePodExecAttach',
      ],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, POD_EXEC)),
};
