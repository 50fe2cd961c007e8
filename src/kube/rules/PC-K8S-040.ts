import { READ_SECRETS, rbacBundleHits, runPermissionCheck } from '../rbac/index.js';
import type { BundleRule } from '../types.js';

/** Subjects that can get, list or watch Secrets, reported on each binding and subject with the chain that grants it. */
export const secretReaders: BundleRule = {
  meta: {
    id: 'PC-K8S-040',
    severity: 'high',
    title: 'Subject can read Secrets',
    hint: 'Grant Secret access by name (`resourceNames`) to the one workload that needs it, inside its namespace; most controllers and people need no `get`, `list` or `watch` on Secrets at all.',
    docs: 'docs/rules/PC-K8S-040.md',
    equivalents: {
      trivy: ['KSV-0041', 'KSV-0113'],
      checkov: ['CKV2_K8S_5'],
      rbacTool: ['Secret Readers'],
      kubeBench: ['5.1.2'],
    },
  },
  checkBundle: (context) => rbacBundleHits(context, (model) => runPermissionCheck(model, READ_SECRETS)),
};
