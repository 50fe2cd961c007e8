// The Kubernetes sections of the rules index (docs/rules/README.md). The index test lives in
// src/dockerfile/docs.test.ts, which may not import kube; test helpers in src/testing may.
import { auditRuleMetas, KUBE_RULES } from '../kube/index.js';
import type { RuleTableSection } from '../report/index.js';

/** `portcullis audit`'s manifest rules (KUBE_RULES), with the Kubernetes tools' columns. */
export const kubeRuleSections: readonly RuleTableSection[] = [
  {
    heading: 'Kubernetes manifest rules (`portcullis audit`)',
    intro:
      'Checked in manifests (YAML, JSON, List kinds, Helm or kustomize output); suppressible with the annotation `portcullis.dev/ignore: ID reason` or in the policy file. How these compare with the peers, case by case: [kube-audit-peers.md](../kube-audit-peers.md).',
    // With the engine's own PC-K8S-000 (suppression annotations it cannot honour).
    rules: auditRuleMetas(KUBE_RULES),
    tools: ['trivy', 'checkov', 'kubesec', 'kubeScore', 'polaris', 'kubeaudit', 'rbacTool'],
  },
];
