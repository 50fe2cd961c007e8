import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import { isEmptyPlan, parseAdmissionReview, planFacts } from './index.js';
import type { AdmissionRequest, FactPlan } from './index.js';

const KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaW5zZWN1cmUta2V5LWZvci1wbGFubmluZy1vbmx5LXRlc3QhISEhISEhISEhISEhISE=
-----END PUBLIC KEY-----`;
const DIGEST = `sha256:${'b'.repeat(64)}`;

function policy(rulesYaml: string, extra = ''): Policy {
  return parsePolicy(`apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n${extra}\nrules:\n${rulesYaml}`);
}

function podReview(
  containers: Record<string, unknown>[],
  opts: {
    namespace?: string;
    operation?: string;
    subResource?: string;
    podSpec?: Record<string, unknown>;
  } = {},
): AdmissionRequest {
  return parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      ...(opts.subResource !== undefined ? { subResource: opts.subResource } : {}),
      namespace: opts.namespace ?? 'default',
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'alice' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers, ...opts.podSpec },
      },
    },
  });
}

/** The plan as `image: needs` lines, easy to compare in a table. */
function summary(plan: FactPlan): string[] {
  return plan.images.map(
    (n) =>
      `${n.image}:${[
        n.digest && 'digest',
        n.config && 'config',
        n.scan && 'scan',
        ...n.signatures.map((s) => `sig(${s.name})`),
      ]
        .filter(Boolean)
        .join(',')}`,
  );
}

const SIGNED = `
  - name: signed
    kind: requireSignature
    keys: [{ pem: "${KEY.replaceAll('\n', '\\n')}" }]`;

describe('planFacts', () => {
  it('asks the registry nothing for allowlist, tag, digest and pull-secret rules', () => {
    const p = policy(`
  - name: allow
    kind: allowedRegistries
    registries: [docker.io/library/]
  - name: no-latest
    kind: disallowTags
  - name: digest
    kind: requireDigest
    mode: warn
  - name: secrets
    kind: requirePullSecretsFor
    registries: [ghcr.io/acme/]`);
    const plan = planFacts(podReview([{ name: 'a', image: 'nginx:1.27' }]), p);
    expect(isEmptyPlan(plan)).toBe(true);
  });

  it('asks for digests of tagged images only when pinning', () => {
    const p = policy(`
  - name: no-latest
    kind: disallowTags`);
    const req = podReview([
      { name: 'a', image: 'nginx:1.27' },
      { name: 'b', image: `redis@${DIGEST}` },
    ]);
    expect(summary(planFacts(req, p, { pin: true }))).toEqual(['nginx:1.27:digest']);
    expect(summary(planFacts(req, p))).toEqual([]);
  });

  it('asks for signatures per rule, scans once per distinct image, and reads the user only when the pod does not say', () => {
    const p = policy(`${SIGNED}
  - name: vulns
    kind: vulnerabilities
    failOn: critical
  - name: nonroot
    kind: requireNonRoot`);
    const req = podReview([
      { name: 'a', image: 'nginx:1.27' },
      { name: 'b', image: 'nginx:1.27', securityContext: { runAsUser: 1000 } },
      { name: 'c', image: 'redis:7', securityContext: { runAsNonRoot: true } },
    ]);
    expect(summary(planFacts(req, p))).toEqual([
      'nginx:1.27:digest,config,scan,sig(signed)',
      'redis:7:digest,scan,sig(signed)',
    ]);
  });

  it('follows match scopes and skips images an unexpired exemption waives', () => {
    const p = policy(
      `${SIGNED}
    match: { namespaces: [prod] }
  - name: vulns
    kind: vulnerabilities
    failOn: high
    match: { images: ["ghcr.io/acme/**"] }`,
      `exemptions:
  - images: ["ghcr.io/acme/legacy:*"]
    rules: [vulns]
    reason: replaced next sprint
  - images: ["ghcr.io/acme/old:*"]
    rules: [vulns]
    reason: long gone
    expires: 2020-01-01`,
    );
    const containers = [
      { name: 'a', image: 'ghcr.io/acme/app:1' },
      { name: 'b', image: 'ghcr.io/acme/legacy:2' },
      { name: 'c', image: 'ghcr.io/acme/old:3' },
      { name: 'd', image: 'nginx:1.27' },
    ];
    expect(summary(planFacts(podReview(containers, { namespace: 'dev' }), p))).toEqual([
      'ghcr.io/acme/app:1:digest,scan',
      'ghcr.io/acme/old:3:digest,scan',
    ]);
    expect(summary(planFacts(podReview(containers, { namespace: 'prod' }), p))).toEqual([
      'ghcr.io/acme/app:1:digest,scan,sig(signed)',
      'ghcr.io/acme/legacy:2:digest,sig(signed)',
      'ghcr.io/acme/old:3:digest,scan,sig(signed)',
      'nginx:1.27:digest,sig(signed)',
    ]);
  });

  it('plans nothing for DELETE, status subresources and unparsable images, but plans ephemeral containers', () => {
    const p = policy(SIGNED);
    expect(
      isEmptyPlan(planFacts(podReview([{ name: 'a', image: 'nginx' }], { operation: 'DELETE' }), p)),
    ).toBe(true);
    expect(
      isEmptyPlan(planFacts(podReview([{ name: 'a', image: 'nginx' }], { subResource: 'status' }), p)),
    ).toBe(true);
    expect(isEmptyPlan(planFacts(podReview([{ name: 'a', image: 'UPPER/Case::bad' }]), p))).toBe(true);
    const eph = podReview([{ name: 'a', image: `nginx@${DIGEST}` }], {
      subResource: 'ephemeralcontainers',
      podSpec: { ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }] },
    });
    expect(summary(planFacts(eph, p))).toEqual([
      `nginx@${DIGEST}:digest,sig(signed)`,
      'busybox:1.36:digest,sig(signed)',
    ]);
  });
});
