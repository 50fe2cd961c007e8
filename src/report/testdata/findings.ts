// Test-only fixture for the lint renderers. The Dockerfile findings and rule metadata were
// copied from `portcullis lint` on a four-line Dockerfile (FROM ubuntu:latest, an ENV token,
// curl | sh, a sub-directory build) at commit 3d2753a; the PC-IMG rule and its layer finding
// are hand-written in the shape the image audit (issue 5) reports, since report may not import
// dockerfile. The token is redacted in the message, as the rules emit it.
import type { LintFinding, RuleMeta } from '../types.js';

export const TOOL = { name: 'portcullis', version: '0.1.0' } as const;

export const RULES: readonly RuleMeta[] = [
  {
    id: 'PC-DF-001',
    severity: 'medium',
    title: 'Base image is untagged or uses latest',
    hint: 'Name a specific version tag (and ideally a digest) in FROM.',
    docs: 'docs/rules/PC-DF-001.md',
    equivalents: { hadolint: ['DL3006', 'DL3007'], trivy: ['DS-0001'], checkov: ['CKV_DOCKER_7'] },
  },
  {
    id: 'PC-DF-002',
    severity: 'low',
    title: 'Base image is not pinned by digest',
    hint: 'Append @sha256:<digest> to the FROM image and let a bot update it.',
    docs: 'docs/rules/PC-DF-002.md',
    equivalents: {},
  },
  {
    id: 'PC-DF-009',
    severity: 'high',
    title: 'RUN pipes a download straight into a shell',
    hint: 'Download to a file, verify its checksum or signature, then run it.',
    docs: 'docs/rules/PC-DF-009.md',
    equivalents: {},
  },
  {
    id: 'PC-DF-014',
    severity: 'high',
    title: 'Secret in ENV or ARG',
    hint: 'Pass build secrets with RUN --mount=type=secret (docker build --secret) and runtime secrets at run time; never as ENV or --build-arg.',
    docs: 'docs/rules/PC-DF-014.md',
    equivalents: { trivy: ['DS-0031'] },
  },
  {
    // Listed but without findings below: SARIF must leave it out of tool.driver.rules.
    id: 'PC-DF-011',
    severity: 'medium',
    title: 'Port 22 (SSH) is exposed',
    hint: 'Do not run sshd in containers; use `kubectl exec` or `docker exec` for debugging.',
    docs: 'docs/rules/PC-DF-011.md',
    equivalents: { trivy: ['DS-0004'], checkov: ['CKV_DOCKER_1'] },
  },
  {
    id: 'PC-IMG-003',
    severity: 'critical',
    title: 'Image layer holds a sensitive file',
    hint: 'Use RUN --mount=type=secret or a multi-stage build; deleting a file in a later layer does not remove it.',
    docs: 'docs/rules/PC-IMG-003.md',
    equivalents: { dockle: ['CIS-DI-0010'] },
  },
];

/** The token in the fixture Dockerfile; no rendered report may contain it. */
export const RAW_SECRET = 'ghp_R8x2Lq7VnW3pZk9TbY4cM1sD6fH0jG5aE2uQ';

export const FINDINGS: readonly LintFinding[] = [
  {
    ruleId: 'PC-DF-001',
    severity: 'medium',
    message: 'stage 0 base image ubuntu:latest uses latest',
    hint: 'Name a specific version tag (and ideally a digest) in FROM.',
    path: 'Dockerfile',
    line: 1,
    column: 1,
  },
  {
    ruleId: 'PC-DF-014',
    severity: 'high',
    message: 'ENV API_TOKEN holds a secret-like value (ghp********)',
    hint: 'Pass build secrets with RUN --mount=type=secret (docker build --secret) and runtime secrets at run time; never as ENV or --build-arg.',
    path: 'Dockerfile',
    line: 2,
    column: 1,
  },
  {
    ruleId: 'PC-DF-009',
    severity: 'high',
    message: 'a download is piped into an interpreter without verification',
    hint: 'Download to a file, verify its checksum or signature, then run it.',
    path: 'Dockerfile',
    line: 3,
    column: 5,
  },
  {
    // A policy raised this rule from low to medium: the result's level follows the finding.
    ruleId: 'PC-DF-002',
    severity: 'medium',
    message: 'base image node:20 is not pinned by digest',
    hint: 'Append @sha256:<digest> to the FROM image and let a bot update it.',
    path: 'services/web app/Dockerfile',
    line: 1,
    column: 1,
  },
  {
    ruleId: 'PC-IMG-003',
    severity: 'critical',
    message: 'root/.ssh/id_rsa (private key) is in layer 2 and deleted in layer 3',
    hint: 'Use RUN --mount=type=secret or a multi-stage build; deleting a file in a later layer does not remove it.',
    path: 'registry.example:5000/team/app:1.0',
    line: 0,
    column: 0,
    layer: { index: 2, digest: `sha256:${'3f'.repeat(32)}` },
  },
];
