import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import { sharedData } from '../testing/fixtures.js';
import { decide, parseAdmissionReview, parseAdmissionReviewJson, toAdmissionResponse } from './index.js';
import type { AdmissionFacts, AdmissionRequest, Decision } from './index.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const DIGEST = `sha256:${'a'.repeat(64)}`;

function policy(rulesYaml: string, extra = ''): Policy {
  return parsePolicy(`apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n${extra}\nrules:\n${rulesYaml}`);
}

function connaisseur(name: string): AdmissionRequest {
  return parseAdmissionReviewJson(
    readFileSync(sharedData('lint-audit', 'admission-review', 'connaisseur', name), 'utf8'),
  );
}

function kubectlObject(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, 'testdata', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

const RESOURCES: Readonly<Record<string, [string, string, string]>> = {
  Pod: ['', 'v1', 'pods'],
  Deployment: ['apps', 'v1', 'deployments'],
  Job: ['batch', 'v1', 'jobs'],
  CronJob: ['batch', 'v1', 'cronjobs'],
};

/** Wraps an object the way the API server does for a CREATE (or the given operation). */
function review(
  object: Record<string, unknown>,
  opts: { namespace?: string; operation?: string; subResource?: string } = {},
): AdmissionRequest {
  const kind = String(object['kind']);
  const [group, version, resource] = RESOURCES[kind] ?? ['', 'v1', 'pods'];
  return parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${kind}`,
      kind: { group, version, kind },
      resource: { group, version, resource },
      ...(opts.subResource !== undefined ? { subResource: opts.subResource } : {}),
      namespace: opts.namespace ?? 'default',
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'alice' },
      object,
    },
  });
}

function pod(
  image: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels },
    spec: { containers: [{ name: 'app', image }], ...spec },
  };
}

function denied(d: Decision): string[] {
  return d.verdicts.filter((v) => v.action === 'deny').map((v) => `${v.rule}:${v.image}`);
}

describe('decide on connaisseur AdmissionReviews', () => {
  const p = policy(`
  - name: library-only
    kind: allowedRegistries
    registries: [docker.io/library/]
  - name: no-latest
    kind: disallowTags`);

  it.each([
    ['01_deployment.json', ['library-only:securesystemsengineering/alice-image:test']],
    ['04_cronjob.json', ['no-latest:busybox']],
    ['05_replication_controller.json', ['no-latest:nginx']],
    ['06_daemonset.json', ['library-only:quay.io/fluentd_elasticsearch/fluentd:v2.5.2']],
    ['07_statefulset.json', ['library-only:registry.k8s.io/nginx-slim:0.8']],
    ['08_job.json', []],
    ['09_dply_multi_image.json', []],
    // redis:latest@sha256:…: the digest is what runs, so the tag does not count (docs/admission.md).
    ['10_update.json', []],
    ['11_role.json', []],
    [
      '19_pod_initcontainer.json',
      [
        'library-only:securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff',
        'no-latest:nginx',
      ],
    ],
    [
      '20_pod_ephemeralcontainer.json',
      [
        'library-only:securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff',
        'no-latest:nginx',
      ],
    ],
    ['22_allow_me_with_index_docker_io.json', ['no-latest:test-image']],
    [
      '24_alice_tag_digest_dpl.json',
      [
        'library-only:securesystemsengineering/alice-image:test@sha256:1234567890123456123456789012345612345678901234561234567890123456',
      ],
    ],
    ['27_deleted_deployment.json', ['no-latest:busybox']],
    // An UPDATE is judged on the new object.
    ['28_deleted_deployment_updated.json', ['no-latest:busybox']],
  ])('%s: denies %j', (name, expected) => {
    const req = connaisseur(name);
    const d = decide(req, p, {}, NOW);
    expect(denied(d).sort()).toEqual([...expected].sort());
    expect(d.allowed).toBe(expected.length === 0);
    const res = toAdmissionResponse(req, d);
    expect(res.apiVersion).toBe(req.apiVersion);
    expect(res.response.uid).toBe(req.uid);
    if (expected.length > 0) {
      expect(res.response.status?.code).toBe(403);
      expect(res.response.status?.message).toMatch(/rule "(library-only|no-latest)"/);
      expect(res.response.status?.message).toContain('fix: ');
    } else {
      expect(res.response.status).toBeUndefined();
    }
  });

  it('echoes the request uid (16_mismatch_uid), not the uid of anything in the object', () => {
    const req = connaisseur('16_mismatch_uid.json');
    expect(toAdmissionResponse(req, decide(req, p, {}, NOW)).response.uid).toBe(
      '0c3331b6-1812-11ea-b3fc-02897404852e',
    );
  });

  it('refuses a Pod without a spec (12_err_pod) with ADMISSION_OBJECT_INVALID', () => {
    expect(() => decide(connaisseur('12_err_pod.json'), p, {}, NOW)).toThrow(
      expect.objectContaining({ code: 'ADMISSION_OBJECT_INVALID' }),
    );
  });

  it('allows a DELETE without judging the object', () => {
    const raw = JSON.parse(
      readFileSync(
        sharedData('lint-audit', 'admission-review', 'connaisseur', '27_deleted_deployment.json'),
        'utf8',
      ),
    ) as {
      request: Record<string, unknown>;
    };
    raw.request['operation'] = 'DELETE';
    raw.request['oldObject'] = raw.request['object'];
    delete raw.request['object'];
    const d = decide(parseAdmissionReview(raw), p, {}, NOW);
    expect(d).toMatchObject({ allowed: true, skipped: 'DELETE runs no new image', verdicts: [] });
  });

  it('judges the pods/ephemeralcontainers subresource (its object is the Pod) and skips pods/status', () => {
    const obj = connaisseur('20_pod_ephemeralcontainer.json').object ?? {};
    expect(
      decide(review({ ...obj, kind: 'Pod' }, { subResource: 'ephemeralcontainers' }), p, {}, NOW).allowed,
    ).toBe(false);
    expect(decide(review({ ...obj, kind: 'Pod' }, { subResource: 'status' }), p, {}, NOW)).toMatchObject({
      allowed: true,
      verdicts: [],
    });
  });
});

describe('allowedRegistries matches on path boundaries', () => {
  const p = policy(`
  - name: mine
    kind: allowedRegistries
    registries: [my-registry.io/, ghcr.io/acme]`);

  it.each([
    ['my-registry.io/app:1', true],
    ['my-registry.io/team/app@' + DIGEST, true],
    ['ghcr.io/acme/app:1', true],
    ['ghcr.io/acmecorp/app:1', false],
    ['my-registry.io.evil.com/app:1', false],
    ['my-registry.io-evil/app:1', false],
    ['my-registry.io:5000/app:1', false],
    ['nginx:1', false],
    ['NOT A REFERENCE', false],
  ])('%s → allowed %s', (image, ok) => {
    const d = decide(review(pod(image)), p, {}, NOW);
    expect(d.allowed).toBe(ok);
    if (!ok) expect(d.message).toContain(image);
  });

  it.each([
    ['kubectl-cronjob.json', 'my-registry.io.evil.com/backup:1'],
    ['kubectl-pod.json', 'my-registry.io-evil/tools'],
  ])('denies the kubectl-made %s from a look-alike registry', (file, image) => {
    const d = decide(review(kubectlObject(file)), p, {}, NOW);
    expect(denied(d)).toEqual([`mine:${image}`]);
  });

  it('falls back to registries.trusted when the rule has no list', () => {
    const q = policy(
      `
  - name: trusted
    kind: allowedRegistries`,
      'registries:\n  trusted: [ghcr.io/acme]',
    );
    expect(decide(review(pod('ghcr.io/acme/x:1')), q, {}, NOW).allowed).toBe(true);
    expect(decide(review(pod('ghcr.io/other/x:1')), q, {}, NOW).allowed).toBe(false);
  });

  it('judges every container of a kubectl-made Deployment', () => {
    const q = policy(`
  - name: acme
    kind: allowedRegistries
    registries: [ghcr.io/acme]`);
    const d = decide(review(kubectlObject('kubectl-deployment.json')), q, {}, NOW);
    expect(denied(d)).toEqual(['acme:nginx:1.27']);
    expect(d.verdicts.map((v) => v.path)).toEqual([
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/1/image',
    ]);
  });
});

describe('disallowTags and requireDigest', () => {
  const p = policy(`
  - name: tags
    kind: disallowTags
    tags: [latest, main]
  - name: digest
    kind: requireDigest
    mode: warn`);

  it.each([
    ['nginx', ['tags'], true],
    ['nginx:latest', ['tags'], true],
    ['nginx:main', ['tags'], true],
    ['nginx:1.27', [], true],
    [`nginx@${DIGEST}`, [], false],
    [`nginx:latest@${DIGEST}`, [], false],
  ])('%s: denied by %j, digest warning %s', (image, rules, warns) => {
    const d = decide(review(pod(image)), p, {}, NOW);
    expect(d.verdicts.filter((v) => v.action === 'deny').map((v) => v.rule)).toEqual(rules);
    expect(d.warnings.some((w) => w.includes('not pinned by digest'))).toBe(warns);
    expect(d.allowed).toBe(rules.length === 0);
  });

  it('explains that no tag means latest', () => {
    const d = decide(review(kubectlObject('kubectl-job.json')), p, {}, NOW);
    expect(d.message).toContain('image "busybox" uses the tag "latest" (no tag means latest)');
  });
});

describe('modes', () => {
  it.each([
    ['enforce', false, 0, 0],
    ['warn', true, 1, 0],
    ['audit', true, 0, 1],
  ] as const)('%s: allowed %s, %i warnings, %i audit records', (mode, ok, warnings, audits) => {
    const d = decide(
      review(pod('nginx')),
      policy(`
  - name: t
    kind: disallowTags
    mode: ${mode}`),
      {},
      NOW,
    );
    expect(d.allowed).toBe(ok);
    expect(d.warnings).toHaveLength(warnings);
    expect(d.audit).toHaveLength(audits);
    expect(toAdmissionResponse(review(pod('nginx')), d).response.warnings?.length ?? 0).toBe(warnings);
  });
});

describe('rule scoping', () => {
  const rule = (match: string): Policy =>
    policy(`
  - name: t
    kind: disallowTags
    match:
${match}`);

  it.each([
    ['namespaces: [prod]', 'prod', {}, 'nginx', true],
    ['namespaces: [prod]', 'dev', {}, 'nginx', false],
    ['excludeNamespaces: [dev]', 'dev', {}, 'nginx', false],
    ['excludeNamespaces: [dev]', 'prod', {}, 'nginx', true],
    ['objectSelector: {matchLabels: {tier: debug}}', 'prod', { tier: 'debug' }, 'nginx', true],
    ['objectSelector: {matchLabels: {tier: debug}}', 'prod', { tier: 'web' }, 'nginx', false],
    [
      'objectSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [debug]}]}',
      'prod',
      {},
      'nginx',
      true,
    ],
    ['objectSelector: {matchExpressions: [{key: tier, operator: Exists}]}', 'prod', {}, 'nginx', false],
    [
      'objectSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}',
      'prod',
      { tier: 'x' },
      'nginx',
      false,
    ],
    [
      'objectSelector: {matchExpressions: [{key: tier, operator: In, values: [a, b]}]}',
      'prod',
      { tier: 'b' },
      'nginx',
      true,
    ],
    // Without namespace labels from facts, only kubernetes.io/metadata.name is known.
    ["namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': prod}}", 'prod', {}, 'nginx', true],
    ["namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': prod}}", 'dev', {}, 'nginx', false],
    ["images: ['docker.io/library/*']", 'prod', {}, 'nginx', true],
    ["images: ['nginx']", 'prod', {}, 'docker.io/library/nginx', true],
    ["images: ['ghcr.io/**']", 'prod', {}, 'nginx', false],
    ["images: ['ghcr.io/acme/*']", 'prod', {}, 'ghcr.io/acme/team/app', false],
    ["images: ['ghcr.io/acme/**']", 'prod', {}, 'ghcr.io/acme/team/app', true],
    ["images: ['ghcr.io/acme/app:*']", 'prod', {}, 'ghcr.io/acme/app', true],
    ["images: ['ghcr.io/acme/app:v?']", 'prod', {}, 'ghcr.io/acme/app:main', false],
  ])('%s in %s with labels %j on %s: applies %s', (match, namespace, labels, image, applies) => {
    const d = decide(review(pod(image, {}, labels), { namespace }), rule(`      ${match}`), {}, NOW);
    const t = d.verdicts.find((v) => v.rule === 't');
    // ghcr.io/acme/app:v? only matches v-tags: main is out of scope even though it is "latest"-free.
    expect(t !== undefined).toBe(applies);
  });

  it('uses namespace labels from facts', () => {
    const p = rule('      namespaceSelector: {matchLabels: {tier: production}}');
    const facts: AdmissionFacts = { namespaceLabels: { tier: 'production' } };
    expect(decide(review(pod('nginx')), p, facts, NOW).allowed).toBe(false);
    expect(decide(review(pod('nginx')), p, { namespaceLabels: { tier: 'dev' } }, NOW).allowed).toBe(true);
  });
});

describe('exemptions', () => {
  const p = (expires: string): Policy =>
    policy(
      `
  - name: t
    kind: disallowTags`,
      `exemptions:
  - images: ['ghcr.io/acme/legacy-*']
    rules: [t]
    reason: migration PLAT-7
    expires: ${expires}
  - namespaces: [kube-system]
    reason: provider-managed`,
    );

  it('admits an exempted image and records why', () => {
    const d = decide(review(pod('ghcr.io/acme/legacy-app')), p('2026-06-15'), {}, NOW);
    expect(d.allowed).toBe(true);
    expect(d.verdicts[0]?.exemptedBy).toEqual({ reason: 'migration PLAT-7', expires: '2026-06-15' });
  });

  it('stops applying the day after it expires, and reports it', () => {
    const d = decide(review(pod('ghcr.io/acme/legacy-app')), p('2026-06-14'), {}, NOW);
    expect(d.allowed).toBe(false);
    expect(d.expiredExemptions).toEqual([
      {
        index: 0,
        reason: 'migration PLAT-7',
        expires: '2026-06-14',
        image: 'ghcr.io/acme/legacy-app',
        rule: 't',
      },
    ]);
    expect(d.warnings.join('\n')).toContain('expired on 2026-06-14');
  });

  it('exempts a namespace for every rule', () => {
    expect(decide(review(pod('nginx'), { namespace: 'kube-system' }), p('2026-06-15'), {}, NOW).allowed).toBe(
      true,
    );
    expect(decide(review(pod('ghcr.io/acme/app')), p('2026-06-15'), {}, NOW).allowed).toBe(false);
  });
});

describe('rules answered from facts', () => {
  const sig = (onError: string, mode = 'enforce'): Policy =>
    policy(`
  - name: signed
    kind: requireSignature
    mode: ${mode}
    onError: ${onError}
    keyless: [{issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/acme/app'}]`);
  const image = `ghcr.io/acme/app@${DIGEST}`;

  it.each([
    ['a satisfied signature', { signature: { satisfied: true, reasons: [] } }, 'deny', true, ''],
    [
      'an unsigned image',
      { signature: { satisfied: false, reasons: ['no signatures found'] } },
      'deny',
      false,
      'no accepted signature: no signatures found',
    ],
    [
      'an unreachable registry',
      { signature: { error: 'ghcr.io: connect ECONNREFUSED' } },
      'deny',
      false,
      'could not verify the signature of image "ghcr.io/acme/app@sha256:aaa',
    ],
    ['no gathered result', {}, 'deny', false, 'no signature verification result'],
    [
      'an unreachable registry, onError allow',
      { signature: { error: 'ghcr.io: timeout' } },
      'allow',
      true,
      '',
    ],
  ])('%s', (_what, facts, onError, ok, message) => {
    const d = decide(review(pod(image)), sig(onError), { images: { [image]: facts } }, NOW);
    expect(d.allowed).toBe(ok);
    expect(d.message).toContain(message);
    if (onError === 'allow') expect(d.warnings.join('\n')).toMatch(/timeout.*onError allow/);
  });

  const vulns = policy(`
  - name: no-criticals
    kind: vulnerabilities
    failOn: high
    ignoreUnfixed: true
    ignore:
      - {id: CVE-2024-0001, reason: not reachable}
      - {id: CVE-2024-0002, reason: old waiver, expires: 2026-01-01}`);

  it.each([
    [
      'a fixable critical',
      [{ id: 'CVE-2024-9999', severity: 'critical', package: 'openssl', fixedVersion: '3.0.14' }],
      'CVE-2024-9999 (critical, openssl, fixed in 3.0.14)',
    ],
    ['an unfixed critical', [{ id: 'CVE-2024-9998', severity: 'critical' }], ''],
    ['a medium', [{ id: 'CVE-2024-9997', severity: 'medium', fixedVersion: '1' }], ''],
    [
      'an ignored alias',
      [{ id: 'GHSA-xxxx', aliases: ['cve-2024-0001'], severity: 'high', fixedVersion: '1' }],
      '',
    ],
    ['an expired ignore', [{ id: 'CVE-2024-0002', severity: 'high', fixedVersion: '1' }], 'CVE-2024-0002'],
  ] as const)('%s', (_what, findings, cve) => {
    const d = decide(review(pod(image)), vulns, { images: { [image]: { scan: { findings } } } }, NOW);
    expect(d.allowed).toBe(cve === '');
    expect(d.message).toContain(cve);
  });

  it('denies when the scan could not run, naming what failed', () => {
    const d = decide(
      review(pod(image)),
      vulns,
      { images: { [image]: { scan: { error: 'vulnerability database not found' } } } },
      NOW,
    );
    expect(d.message).toContain('could not scan image "ghcr.io/acme/app@sha256:');
    expect(d.message).toContain('vulnerability database not found');
  });

  const nonRoot = policy(`
  - name: non-root
    kind: requireNonRoot`);

  it.each([
    ['pod runAsNonRoot', { securityContext: { runAsNonRoot: true } }, {}, true],
    ['pod runAsUser 1000', { securityContext: { runAsUser: 1000 } }, {}, true],
    [
      'runAsUser 0 wins over runAsNonRoot',
      { securityContext: { runAsNonRoot: true, runAsUser: 0 } },
      {},
      false,
    ],
    [
      'container overrides pod',
      {
        securityContext: { runAsNonRoot: true },
        containers: [{ name: 'app', image, securityContext: { runAsUser: 0 } }],
      },
      {},
      false,
    ],
    ['numeric image user', {}, { config: { user: '65532:65532' } }, true],
    ['named image user', {}, { config: { user: 'nginx' } }, false],
    ['unset image user', {}, { config: { user: '' } }, false],
    ['unknown image user', {}, {}, false],
  ])('%s → allowed %s', (_what, spec, facts, ok) => {
    const d = decide(review(pod(image, spec)), nonRoot, { images: { [image]: facts } }, NOW);
    expect(d.allowed).toBe(ok);
  });
});

describe('requirePullSecretsFor', () => {
  const p = policy(`
  - name: pulls
    kind: requirePullSecretsFor
    registries: [registry.acme.example:5000]`);

  it.each([
    ['registry.acme.example:5000/app:1', [], false],
    ['registry.acme.example:5000/app:1', [{ name: 'regcred' }], true],
    ['registry.acme.example/app:1', [], true],
  ])('%s with pull secrets %j → allowed %s', (image, secrets, ok) => {
    expect(decide(review(pod(image, { imagePullSecrets: secrets })), p, {}, NOW).allowed).toBe(ok);
  });
});
