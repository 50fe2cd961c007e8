import { NODES_PROXY, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can use nodes/proxy, reported on each binding and subject with the chain that grants it. */
export const nodesProxy: BundleRule = {
  meta: {
    id: 'PC-K8S-045',
    severity: 'high',
    title: 'Subject can reach the kubelet API through nodes/proxy',
    hint: 'Remove every verb on nodes/proxy; monitoring agents can read metrics from nodes/metrics and nodes/stats instead.',
    docs: 'docs/rules/PC-K8S-045.md',
    equivalents: { trivy: ['KSV-0047'], checkov: ['CKV2_K8S_2'], kubeBench: ['5.1.10'] },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, NODES_PROXY)),
};
