// The peers' own test cases for the checks the workload rules (PC-K8S-001..021) cover: where a
// peer says a case fails, our rule must fire on it; where it passes, our rule must stay quiet.
// Every case where we answer otherwise on purpose is listed in DIFFERENCES (and in
// docs/kube-audit-peers.md); an unlisted disagreement fails, and so does a listed one that no
// longer happens.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { sharedData } from '../../testing/fixtures.js';
import { auditObjects } from '../engine/audit.js';
import { loadManifests } from '../load/parse.js';
import type { AuditFinding, LoadedObject } from '../types.js';
import { KUBE_RULES } from './index.js';

/** One peer test case: a manifest text, the rule that covers the peer's check, and the peer's verdict. */
type PeerCase = {
  readonly peer: 'kube-score' | 'kubeaudit' | 'Polaris' | 'Trivy' | 'kubesec' | 'Kyverno' | 'Checkov';
  /** Stable name: peer check and file (and item), as listed in DIFFERENCES. */
  readonly key: string;
  readonly text: string;
  readonly rules: readonly string[];
  readonly fails: boolean;
  /** Only objects with this name count (a peer verdict about one resource of a file). */
  readonly object?: string;
  /** Only findings this accepts count (e.g. added capabilities, not the missing drop ALL). */
  readonly accept?: (f: AuditFinding) => boolean;
};

/** Cases where we deliberately answer otherwise, by key, with the reason (kept in docs too). */
const DIFFERENCES: Readonly<Record<string, string>> = {
  'kubeaudit privileged privileged-nil.yml':
    'privileged defaults to false; an unset field is not a privileged container',
  'kubeaudit nonroot run-as-user-psc-0-csc-1.yml':
    "the container overrides the pod's runAsUser: 0 with 1; we judge the user each container runs as",
  'kubeaudit nonroot run-as-user-psc-0-csc-1-multiple-cont.yml':
    "both containers override the pod's runAsUser: 0 with 1; we judge the user each container runs as",
  'Trivy KSV-0022 specific_capabilities_added.yaml bad[0]':
    'NET_BIND_SERVICE is the one capability the restricted Pod Security Standard allows adding',
  'kubesec score-1-daemonset-default.yml':
    "a hostPath of /var/lib/docker/containers exposes every container's logs and config (with its env): PC-K8S-019 (high)",
  'kubesec score-1-prod-dump.yaml':
    "the privileged container (with NET_ADMIN) is an init container, which kubesec's containers[] selector does not score; it has the node all the same",
  'Checkov CKV_K8S_41 DefaultServiceAccount-PASSED.yaml':
    'CKV_K8S_41 looks at ServiceAccounts named default only; PC-K8S-020 reports ServiceAccount notdefault as well',
  'Polaris sensitiveConfigmapContent failure.key_aws_secret_access_key.yaml':
    'the value is the placeholder xxxxx: a credential name with a placeholder is a template, not a leak',
  'Polaris sensitiveConfigmapContent failure.key_azure_batch_key.yaml': 'the value is the placeholder xxxxx',
  'Polaris sensitiveConfigmapContent failure.key_oci_cli_key_content.yaml':
    'the value is the placeholder xxxxx',
  'Polaris hostPathSet failure.yaml':
    'any hostPath is a Polaris finding; PC-K8S-019 reports runtime sockets and sensitive node paths only',
  'Trivy KSV-0036 protecting_pod_service_account_tokens.yaml good[0]':
    'the pod does not turn automountServiceAccountToken off and has no ServiceAccount in the bundle that does, so it gets a token',
};

function read(...parts: string[]): string {
  return readFileSync(sharedData(...parts), 'utf8');
}

function files(...parts: string[]): string[] {
  return readdirSync(sharedData(...parts)).sort();
}

// kube-score: EXPECTED-grades.json, the checks that map to ours.
function kubeScoreCases(): PeerCase[] {
  const grades = JSON.parse(read('k8s-manifests', 'kube-score', 'EXPECTED-grades.json')) as {
    file: string;
    check: string;
    expected_grade: string;
  }[];
  const map: Record<string, string> = { 'Container Image Tag': 'PC-K8S-009' };
  return grades.flatMap((g) => {
    const rule = map[g.check];
    if (rule === undefined) return [];
    return [
      {
        peer: 'kube-score' as const,
        key: `kube-score ${g.check} ${g.file}`,
        text: read('k8s-manifests', 'kube-score', g.file),
        rules: [rule],
        fails: g.expected_grade !== 'GradeAllOK',
      },
    ];
  });
}

// kubeaudit: EXPECTED-findings.json. "…Allowed" results are still reported by kubeaudit (as
// warnings, overridden by a label) and by us (we do not read kubeaudit's override labels);
// RedundantAuditorOverride (null) means the setting is already safe.
function kubeauditCases(): PeerCase[] {
  const expected = JSON.parse(read('k8s-manifests', 'kubeaudit', 'EXPECTED-findings.json')) as {
    auditor: string;
    fixture: string;
    expected_resolved: (string | undefined)[];
  }[];
  const map: Record<string, string> = {
    nonroot: 'PC-K8S-013',
    privesc: 'PC-K8S-015',
    privileged: 'PC-K8S-014',
    rootfs: 'PC-K8S-016',
    capabilities: 'PC-K8S-017',
    hostns: 'PC-K8S-018',
    mounts: 'PC-K8S-019',
    asat: 'PC-K8S-021',
  };
  return expected.flatMap((e) => {
    const rule = map[e.auditor];
    if (rule === undefined) return [];
    return [
      {
        peer: 'kubeaudit' as const,
        key: `kubeaudit ${e.auditor} ${path.basename(e.fixture)}`,
        text: read('k8s-manifests', 'kubeaudit', e.fixture),
        rules: [rule],
        fails: e.expected_resolved.some((r) => typeof r === 'string'),
      },
    ];
  });
}

const addsCapability = (f: AuditFinding) => f.message.includes('adds capability');
const addsDangerous = (f: AuditFinding) => addsCapability(f) && f.severity === 'high';
const noDropAll = (f: AuditFinding) => f.message.includes('does not drop ALL');

// Polaris: test/checks/<check>/{success,failure}.*.yaml (mutated.* are fix outputs, not cases).
function polarisCases(): PeerCase[] {
  const map: Record<string, { rules: string[]; accept?: (f: AuditFinding) => boolean }> = {
    sensitiveContainerEnvVar: { rules: ['PC-K8S-001'] },
    sensitiveConfigmapContent: { rules: ['PC-K8S-002'] },
    tagNotSpecified: { rules: ['PC-K8S-009'] },
    privilegeEscalationAllowed: { rules: ['PC-K8S-015'] },
    runAsPrivileged: { rules: ['PC-K8S-014'] },
    runAsRootAllowed: { rules: ['PC-K8S-013'] },
    dangerousCapabilities: { rules: ['PC-K8S-017'], accept: addsDangerous },
    hostPathSet: { rules: ['PC-K8S-019'] },
    automountServiceAccountToken: { rules: ['PC-K8S-021'] },
  };
  return Object.entries(map).flatMap(([check, m]) =>
    files('lint-audit', 'k8s', 'polaris', check)
      .filter((f) => f.startsWith('success') || f.startsWith('failure'))
      .map((f) => ({
        peer: 'Polaris' as const,
        key: `Polaris ${check} ${f}`,
        text: read('lint-audit', 'k8s', 'polaris', check, f),
        rules: m.rules,
        fails: f.startsWith('failure'),
        ...(m.accept === undefined ? {} : { accept: m.accept }),
      })),
  );
}

// Trivy: checks/kubernetes/*.yaml with `good:` and `bad:` manifests; ids from TRIVY_CHECKS_INDEX.md.
const TRIVY_FILES: Record<string, { id: string; rules: string[]; accept?: (f: AuditFinding) => boolean }> = {
  'can_elevate_its_own_privileges.yaml': { id: 'KSV-0001', rules: ['PC-K8S-015'] },
  'capabilities_no_drop_all.yaml': { id: 'KSV-0003', rules: ['PC-K8S-017'], accept: noDropAll },
  'SYS_ADMIN_capability.yaml': { id: 'KSV-0005', rules: ['PC-K8S-017'], accept: addsDangerous },
  'mounts_docker_socket.yaml': { id: 'KSV-0006', rules: ['PC-K8S-019'] },
  'host_ipc.yaml': { id: 'KSV-0008', rules: ['PC-K8S-018'] },
  'host_network.yaml': { id: 'KSV-0009', rules: ['PC-K8S-018'] },
  'host_pid.yaml': { id: 'KSV-0010', rules: ['PC-K8S-018'] },
  'runs_as_root.yaml': { id: 'KSV-0012', rules: ['PC-K8S-013'] },
  'uses_image_tag_latest.yaml': { id: 'KSV-0013', rules: ['PC-K8S-009'] },
  'file_system_not_read_only.yaml': { id: 'KSV-0014', rules: ['PC-K8S-016'] },
  'privileged.yaml': { id: 'KSV-0017', rules: ['PC-K8S-014'] },
  'specific_capabilities_added.yaml': { id: 'KSV-0022', rules: ['PC-K8S-017'], accept: addsCapability },
  'protecting_pod_service_account_tokens.yaml': { id: 'KSV-0036', rules: ['PC-K8S-021'] },
  'configMap_with_secrets.yaml': { id: 'KSV-0109', rules: ['PC-K8S-002'] },
};

function trivyCases(): PeerCase[] {
  return Object.entries(TRIVY_FILES).flatMap(([file, m]) => {
    const doc = parseYaml(read('lint-audit', 'k8s', 'trivy-checks', file)) as {
      kubernetes: { good?: string[]; bad?: string[] };
    };
    return (['good', 'bad'] as const).flatMap((verdict) =>
      (doc.kubernetes[verdict] ?? []).map((text, i) => ({
        peer: 'Trivy' as const,
        key: `Trivy ${m.id} ${file} ${verdict}[${i}]`,
        text,
        rules: m.rules,
        fails: verdict === 'bad',
        ...(m.accept === undefined ? {} : { accept: m.accept }),
      })),
    );
  });
}

// kubesec: assets named score-N-… (N ≥ 1: passed, no critical advice) and score-0-…/critical-…
// (failed). kubesec's critical rules are Privileged, CapSysAdmin, HostNetwork, HostPID, HostIPC,
// DockerSock and AllowPrivilegeEscalation (explicit true); ours for them are PC-K8S-014,
// PC-K8S-017 (high), PC-K8S-018, PC-K8S-019 and PC-K8S-015 (explicit true).
const KUBESEC_CRITICAL = ['PC-K8S-014', 'PC-K8S-017', 'PC-K8S-018', 'PC-K8S-019', 'PC-K8S-015'];
const kubesecCritical = (f: AuditFinding) =>
  (f.ruleId === 'PC-K8S-017' && f.severity === 'high') ||
  (f.ruleId === 'PC-K8S-015' && f.message.includes('sets allowPrivilegeEscalation: true')) ||
  ['PC-K8S-014', 'PC-K8S-018', 'PC-K8S-019'].includes(f.ruleId);
// score-0 files whose only negative points come from checks we do not have (AppArmor, seccomp,
// PodSecurityPolicy) or from nothing critical at all: kubesec fails them, no rule of ours maps.
const KUBESEC_NOT_OURS = /apparmor|seccomp|podsecuritypolicy|statefulset-no-sec|cap-chown\.yml/;

function kubesecCases(): PeerCase[] {
  const seen = new Set<string>();
  const dirs = [
    ['lint-audit', 'k8s', 'kubesec'],
    ['k8s-manifests', 'kubesec', 'asset'],
  ];
  return dirs.flatMap((dir) =>
    files(...dir)
      .filter((f) => /^(score-\d+|critical)-/.test(f) && !KUBESEC_NOT_OURS.test(f))
      .filter((f) => !seen.has(f) && Boolean(seen.add(f)))
      .map((f) => ({
        peer: 'kubesec' as const,
        key: `kubesec ${f}`,
        text: read(...dir, f),
        rules: KUBESEC_CRITICAL,
        fails: f.startsWith('score-0-') || f.startsWith('critical-'),
        accept: kubesecCritical,
      })),
  );
}

// Kyverno: the chainsaw good/bad resources, and the kyverno-test results per resource.
function kyvernoCases(): PeerCase[] {
  const map: Record<string, string> = {
    'disallow-secrets-from-env-vars': 'PC-K8S-008',
    'deny-secret-service-account-token-type': 'PC-K8S-007',
  };
  return Object.entries(map).flatMap(([policy, rule]) => {
    const dir = ['lint-audit', 'k8s', 'kyverno', policy];
    const chainsaw = files(...dir)
      .filter((f) => /^chainsaw-test-.*-(good|bad)(-secret)?\.yaml$/.test(f))
      .map((f) => ({
        peer: 'Kyverno' as const,
        key: `Kyverno ${policy} ${f}`,
        text: read(...dir, f),
        rules: [rule],
        fails: /-bad(-secret)?\.yaml$/.test(f),
      }));
    const test = parseYaml(read(...dir, 'kyverno-test-kyverno-test.yaml')) as {
      results: { resources: string[]; result: 'pass' | 'fail' }[];
    };
    const verdicts = new Map<string, boolean>();
    for (const r of test.results) {
      for (const res of r.resources) {
        const name = res.split('/').pop() ?? res;
        verdicts.set(name, (verdicts.get(name) ?? false) || r.result === 'fail');
      }
    }
    const text = read(...dir, 'kyverno-test-resource.yaml');
    const perResource = [...verdicts].map(([name, fails]) => ({
      peer: 'Kyverno' as const,
      key: `Kyverno ${policy} kyverno-test ${name}`,
      text,
      rules: [rule],
      fails,
      object: name,
    }));
    return [...chainsaw, ...perResource];
  });
}

// Checkov: example_<Check>/*-{PASSED,FAILED}*.yaml; UNKNOWN files, where Checkov gives no
// verdict, are in CHECKOV_UNKNOWN with ours.
// Both are malformed (env is a string; the pod template has no containers list), so neither
// Checkov nor we find anything to judge. Our verdict is asserted so it cannot change silently.
const CHECKOV_UNKNOWN: Readonly<Record<string, boolean>> = {
  'Checkov CKV_K8S_35 pod-secretsEnvironment-UNKNOWN.yaml': false,
  'Checkov CKV_K8S_38 ServiceAccountTokensUNKNOWN.yaml': false,
};

function checkovCases(): PeerCase[] {
  const map: Record<string, { id: string; rule: string }> = {
    example_Secrets: { id: 'CKV_K8S_35', rule: 'PC-K8S-008' },
    example_ServiceAccountTokens: { id: 'CKV_K8S_38', rule: 'PC-K8S-021' },
    example_DefaultServiceAccount: { id: 'CKV_K8S_41', rule: 'PC-K8S-020' },
  };
  return Object.entries(map).flatMap(([dir, m]) =>
    files('lint-audit', 'k8s', 'checkov', dir).map((f) => {
      const key = `Checkov ${m.id} ${f}`;
      const unknown = CHECKOV_UNKNOWN[key];
      return {
        peer: 'Checkov' as const,
        key,
        text: read('lint-audit', 'k8s', 'checkov', dir, f),
        rules: [m.rule],
        fails: unknown ?? f.includes('FAILED'),
      };
    }),
  );
}

function fires(c: PeerCase): boolean {
  const objects: LoadedObject[] = loadManifests([{ file: c.key, text: c.text }]);
  const rules = KUBE_RULES.filter((r) => c.rules.includes(r.meta.id));
  expect(rules.length, c.key).toBe(c.rules.length);
  return auditObjects(objects, { rules }).some(
    (f) =>
      c.rules.includes(f.ruleId) &&
      (c.object === undefined || f.resource.name === c.object) &&
      (c.accept === undefined || c.accept(f)),
  );
}

const cases: PeerCase[] = [
  ...kubeScoreCases(),
  ...kubeauditCases(),
  ...polarisCases(),
  ...trivyCases(),
  ...kubesecCases(),
  ...kyvernoCases(),
  ...checkovCases(),
];

describe('peer expectations for the workload rules', () => {
  it.each(cases.map((c) => [c.key, c] as const))('%s', (_key, c) => {
    const differs = DIFFERENCES[c.key] !== undefined;
    expect(fires(c), differs ? `deliberate difference: ${DIFFERENCES[c.key] ?? ''}` : 'peer verdict').toBe(
      differs ? !c.fails : c.fails,
    );
  });

  it('lists only differences that name a case', () => {
    const keys = new Set(cases.map((c) => c.key));
    expect(Object.keys(DIFFERENCES).filter((k) => !keys.has(k))).toEqual([]);
    expect(Object.keys(CHECKOV_UNKNOWN).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('maps each Trivy file to the KSV id TRIVY_CHECKS_INDEX.md gives it', () => {
    const index = read('lint-audit', 'TRIVY_CHECKS_INDEX.md');
    for (const [file, m] of Object.entries(TRIVY_FILES)) {
      expect(index).toContain(`| k8s/trivy-checks/${file} | ${m.id} |`);
    }
  });

  it('covers every peer', () => {
    const byPeer = new Map<string, number>();
    for (const c of cases) byPeer.set(c.peer, (byPeer.get(c.peer) ?? 0) + 1);
    for (const peer of ['kube-score', 'kubeaudit', 'Polaris', 'Trivy', 'kubesec', 'Kyverno', 'Checkov']) {
      expect(byPeer.get(peer) ?? 0, peer).toBeGreaterThan(0);
    }
  });
});
