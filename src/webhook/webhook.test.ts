import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import type { AdmissionReviewAnswer } from '../testing/admission-webhook.js';
import {
  POD_RESOURCE,
  admissionReviewOf,
  decodePatch,
  requestOverTls,
  webhookTestCertificates,
} from '../testing/admission-webhook.js';
import { sharedData } from '../testing/fixtures.js';
import { extractPodImages } from '../admission/index.js';
import type { AdmissionFacts, FactPlan, FactSource } from '../admission/index.js';
import { startAdmissionServer } from './index.js';
import type { AdmissionServer } from './index.js';

const POLICY = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: trusted-registries
    kind: allowedRegistries
    registries: [docker.io/library/, docker.io/securesystemsengineering/, my.reg/allow-me, ghcr.io/acme/, my-registry.io/]
  - name: no-latest
    kind: disallowTags
`);

// A digest per image (sha256 of the string): the webhook only needs its shape.
function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** Answers every digest lookup at once, except for the images in `unknown`; records the plans. */
class DigestTable implements FactSource {
  readonly plans: FactPlan[] = [];
  constructor(private readonly unknown: ReadonlySet<string> = new Set()) {}
  gather(plan: FactPlan): Promise<AdmissionFacts> {
    this.plans.push(plan);
    return Promise.resolve({
      images: Object.fromEntries(
        plan.images.map((n) => [n.image, this.unknown.has(n.image) ? {} : { digest: digestOf(n.image) }]),
      ),
    });
  }
}

type ReviewResponse = AdmissionReviewAnswer;

const connaisseurDir = (): string => sharedData('admission-review', 'connaisseur');
const roundtripDir = (): string => sharedData('admission-review', 'k8s-api-roundtrip');

// Expected verdicts under POLICY, from the images in each payload.
const CONNAISSEUR: Readonly<Record<string, 'allowed' | 'denied' | 400>> = {
  '01_deployment.json': 'allowed', // securesystemsengineering/alice-image:test
  '02_pod.json': 'allowed', // by digest
  '03_replicaset.json': 'allowed',
  '04_cronjob.json': 'denied', // busybox: no tag means latest
  '05_replication_controller.json': 'denied', // nginx, untagged
  '06_daemonset.json': 'denied', // quay.io is not allowed
  '07_statefulset.json': 'denied', // registry.k8s.io is not allowed
  '08_job.json': 'allowed', // perl:5.34.0
  '09_dply_multi_image.json': 'allowed',
  '10_update.json': 'allowed', // UPDATE, judged on the new object: redis:latest@sha256 is pinned
  '11_role.json': 'allowed', // runs no pods
  '12_err_pod.json': 400, // a Pod without a spec
  '13_unknown_parent.json': 'allowed',
  '14_deny_me_job.json': 'denied', // my.reg/deny-me is outside my.reg/allow-me
  '15_allow_me_job.json': 'allowed',
  '16_mismatch_uid.json': 'allowed',
  '17_deny_me_pod.json': 'denied',
  '18_allow_me_pod.json': 'allowed',
  '19_pod_initcontainer.json': 'denied', // init container nginx, untagged
  '20_pod_ephemeralcontainer.json': 'denied', // ephemeral container nginx, untagged
  '21_broken_admission_request.json': 400,
  '22_allow_me_with_index_docker_io.json': 'denied', // test-image, untagged
  '23_alice_digest_dpl.json': 'allowed',
  '24_alice_tag_digest_dpl.json': 'allowed',
  '25_null_request.json': 400,
  '26_broken_update_admission_request.json': 400,
  '27_deleted_deployment.json': 'denied', // busybox
  '28_deleted_deployment_updated.json': 'denied',
  '29_deleted_deployment_update_for_delete.json': 'denied',
};

const KUBECTL: readonly {
  file: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
  expected: 'allowed' | 'denied';
}[] = [
  {
    file: 'kubectl-deployment.json',
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    expected: 'allowed',
  },
  {
    file: 'kubectl-job.json',
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    resource: 'jobs',
    expected: 'denied',
  },
  // my-registry.io.evil.com is not my-registry.io/
  {
    file: 'kubectl-cronjob.json',
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    resource: 'cronjobs',
    expected: 'denied',
  },
  // my-registry.io-evil is not my-registry.io/ either (and untagged)
  { file: 'kubectl-pod.json', group: '', version: 'v1', kind: 'Pod', resource: 'pods', expected: 'denied' },
];

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments' };
const JOB = { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs' };
const POD = POD_RESOURCE;

function kubectlObject(file: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(path.join(import.meta.dirname, '..', 'admission', 'testdata', file), 'utf8'),
  ) as Record<string, unknown>;
}

const review = admissionReviewOf;

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('admission webhook over HTTPS', () => {
  let ca: string;
  let server: AdmissionServer;
  const logLines: string[] = [];
  const digests = new DigestTable(new Set(['ghcr.io/acme/sidecar:2-unresolvable']));
  let policy: Policy | undefined = POLICY;

  const post = (endpoint: string, body: string | Buffer, headers: Record<string, string> = JSON_HEADERS) =>
    requestOverTls(server.url, { ca, method: 'POST', path: endpoint, body, headers });
  const get = (endpoint: string) => requestOverTls(server.url, { ca, path: endpoint });

  beforeAll(async () => {
    const certs = await webhookTestCertificates();
    ca = certs.ca.certPem;
    server = await startAdmissionServer({
      host: '127.0.0.1',
      port: 0,
      tls: certs.serving,
      policy: () => policy,
      facts: digests,
      bodyLimitBytes: 256 * 1024,
      registerMetrics: (registry) => {
        new Gauge({
          name: 'portcullis_test_extra',
          help: 'a collector of the caller',
          registers: [registry],
        }).set(7);
      },
      logger: {
        level: 'info',
        stream: new Writable({
          write(chunk: Buffer, _enc, done) {
            logLines.push(chunk.toString('utf8'));
            done();
          },
        }),
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  describe('the recorded AdmissionReviews', () => {
    it('has a verdict for every connaisseur payload', () => {
      const files = readdirSync(connaisseurDir()).filter((f) => f.endsWith('.json'));
      expect(files.sort()).toEqual(Object.keys(CONNAISSEUR).sort());
    });

    it.each(Object.entries(CONNAISSEUR))('%s → %s', async (file, expected) => {
      const text = readFileSync(path.join(connaisseurDir(), file), 'utf8');
      const answer = await post('/validate', text);
      if (expected === 400) {
        expect(answer.status).toBe(400);
        const body = JSON.parse(answer.text) as { code: string; message: string };
        expect(body.code).toMatch(/^ADMISSION_(REVIEW|OBJECT)_INVALID$/);
        expect(body.message.length).toBeGreaterThan(10);
        return;
      }
      expect(answer.status).toBe(200);
      const sent = JSON.parse(text) as { apiVersion: string; request: { uid: string } };
      const got = JSON.parse(answer.text) as ReviewResponse;
      expect(got.apiVersion).toBe(sent.apiVersion);
      expect(got.kind).toBe('AdmissionReview');
      expect(got.response.uid).toBe(sent.request.uid);
      expect(got.response.allowed).toBe(expected === 'allowed');
      if (expected === 'denied') {
        expect(got.response.status?.code).toBe(403);
        expect(got.response.status?.message).toMatch(
          /denied by policy:\nrule "(trusted-registries|no-latest)"/,
        );
      } else {
        expect(got.response.status).toBeUndefined();
      }
    });

    it.each(['admission.k8s.io.v1.AdmissionReview.json', 'admission.k8s.io.v1beta1.AdmissionReview.json'])(
      'refuses the placeholder-filled round-trip fixture %s (operation "operationValue") with 400',
      async (file) => {
        const answer = await post('/validate', readFileSync(path.join(roundtripDir(), file), 'utf8'));
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.text)).toMatchObject({
          code: 'ADMISSION_REVIEW_INVALID',
          message: expect.stringMatching(/operation/) as unknown,
        });
      },
    );

    it.each([
      'admissionregistration.k8s.io.v1.ValidatingWebhookConfiguration.json',
      'admissionregistration.k8s.io.v1.MutatingWebhookConfiguration.json',
      'admissionregistration.k8s.io.v1.ValidatingAdmissionPolicy.json',
    ])('refuses %s, which is not an AdmissionReview, with 400', async (file) => {
      const answer = await post('/validate', readFileSync(path.join(roundtripDir(), file), 'utf8'));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toMatchObject({
        code: 'ADMISSION_REVIEW_INVALID',
        message: expect.stringMatching(/AdmissionReview/) as unknown,
      });
    });
  });

  describe('kubectl-made objects wrapped in AdmissionReviews', () => {
    it.each(KUBECTL)('$kind from $file is $expected', async (c) => {
      const object = kubectlObject(c.file);
      const { uid, body } = review(object, c);
      const answer = await post('/validate', body);
      expect(answer.status).toBe(200);
      const got = JSON.parse(answer.text) as ReviewResponse;
      expect(got.response.uid).toBe(uid);
      expect(got.response.allowed).toBe(c.expected === 'allowed');
      if (c.expected === 'denied') {
        const images = extractPodImages(c.kind, object)?.images.map((s) => s.image) ?? [];
        for (const image of images) expect(got.response.status?.message).toContain(image);
      }
    });
  });

  describe('bodies that are not AdmissionReviews', () => {
    it.each([
      ['malformed JSON', '{"apiVersion": "admission.k8s.io/v1", "kind": ', JSON_HEADERS, /not JSON/],
      ['null', 'null', JSON_HEADERS, /empty \(null\)/],
      ['an empty body', '', JSON_HEADERS, /empty/],
      ['an array', '[]', JSON_HEADERS, /array/],
      [
        'the wrong apiVersion',
        '{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{}}',
        JSON_HEADERS,
        /apiVersion/,
      ],
      [
        'a Pod instead of an AdmissionReview',
        JSON.stringify(kubectlObject('kubectl-pod.json')),
        JSON_HEADERS,
        /kind AdmissionReview/,
      ],
      [
        'a text/plain content type',
        '{}',
        { 'content-type': 'text/plain' },
        /content type is "text\/plain"; expected application\/json/,
      ],
      ['no content type', '{}', {}, /content type is missing/],
    ])('answers %s with 400 and a message, and keeps serving', async (_what, body, headers, message) => {
      const answer = await post('/validate', body, headers);
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(answer.text)).toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(message) as unknown,
      });
      const after = await post(
        '/validate',
        review(kubectlObject('kubectl-deployment.json'), DEPLOYMENT).body,
      );
      expect(after.status).toBe(200);
    });

    it('answers an oversized body with 413 and keeps serving', async () => {
      const huge = review(
        { kind: 'Pod', spec: { containers: [] }, padding: 'x'.repeat(300 * 1024) },
        POD,
      ).body;
      const answer = await post('/validate', huge);
      expect(answer.status).toBe(413);
      expect((await get('/healthz')).status).toBe(200);
    });

    it('answers 503 while no policy is loaded, and readyz says so', async () => {
      policy = undefined;
      try {
        expect((await get('/readyz')).status).toBe(503);
        const answer = await post('/validate', review(kubectlObject('kubectl-pod.json'), POD).body);
        expect(answer.status).toBe(503);
      } finally {
        policy = POLICY;
      }
      expect((await get('/readyz')).status).toBe(200);
    });
  });

  describe('mutation', () => {
    const mutateCases = [
      ...KUBECTL.map((c) => ({ name: c.file, object: kubectlObject(c.file), gvk: c })),
      ...[
        '06_daemonset.json',
        '09_dply_multi_image.json',
        '19_pod_initcontainer.json',
        '20_pod_ephemeralcontainer.json',
      ].map((file) => {
        const sent = JSON.parse(readFileSync(path.join(connaisseurDir(), file), 'utf8')) as {
          request: {
            object: Record<string, unknown>;
            kind: { group: string; version: string; kind: string };
            resource: { resource: string };
          };
        };
        return {
          name: file,
          object: sent.request.object,
          gvk: { ...sent.request.kind, resource: sent.request.resource.resource },
        };
      }),
    ];

    it.each(mutateCases)(
      'pins every image of $name with a patch that applies, and a second pass sends none',
      async (c) => {
        const first = review(c.object, c.gvk);
        const answer = await post('/mutate', first.body);
        expect(answer.status).toBe(200);
        const got = JSON.parse(answer.text) as ReviewResponse;
        expect(got.response.uid).toBe(first.uid);
        expect(got.response.allowed).toBe(true);
        expect(got.response.warnings).toBeUndefined();
        const images = extractPodImages(c.gvk.kind, c.object)?.images ?? [];
        const unpinned = images.filter((s) => !s.image.includes('@'));
        expect(unpinned.length).toBeGreaterThan(0);
        expect(got.response.patchType).toBe('JSONPatch');
        const patch = decodePatch(got) as Operation[];
        // fast-json-patch validates every operation against the document: a wrong pointer fails here.
        const patched = jsonPatch.applyPatch(jsonPatch.deepClone(c.object) as object, patch, true, false)
          .newDocument as Record<string, unknown>;
        const after = extractPodImages(c.gvk.kind, patched)?.images ?? [];
        expect(after.map((s) => s.image)).toEqual(
          images.map((s) => (s.image.includes('@') ? s.image : `${s.image}@${digestOf(s.image)}`)),
        );

        const calls = digests.plans.length;
        const second = review(patched, c.gvk, { operation: 'UPDATE', oldObject: c.object });
        const again = JSON.parse((await post('/mutate', second.body)).text) as ReviewResponse;
        expect(again.response).toEqual({ uid: second.uid, allowed: true });
        expect(digests.plans.length).toBe(calls); // nothing left to resolve: no lookup at all

        // And the pinned object passes validation (a digest makes the tag rule hold).
        if (c.name === 'kubectl-job.json') {
          const v = JSON.parse((await post('/validate', second.body)).text) as ReviewResponse;
          expect(v.response.allowed).toBe(true);
        }
      },
    );

    it('asks the fact source for digests only', async () => {
      const before = digests.plans.length;
      await post('/mutate', review(kubectlObject('kubectl-deployment.json'), DEPLOYMENT).body);
      const plan = digests.plans[before];
      expect(plan?.images.map((n) => [n.image, n.digest, n.config, n.scan, n.signatures.length])).toEqual([
        ['nginx:1.27', true, false, false, 0],
        ['ghcr.io/acme/sidecar:2', true, false, false, 0],
      ]);
    });

    it('leaves an image whose digest is unknown unpinned, with a warning naming it', async () => {
      const object = kubectlObject('kubectl-deployment.json');
      const text = JSON.stringify(object).replace(
        'ghcr.io/acme/sidecar:2',
        'ghcr.io/acme/sidecar:2-unresolvable',
      );
      const sent = review(JSON.parse(text) as Record<string, unknown>, DEPLOYMENT);
      const got = JSON.parse((await post('/mutate', sent.body)).text) as ReviewResponse;
      expect(got.response.allowed).toBe(true);
      expect(got.response.warnings).toEqual([
        'image "ghcr.io/acme/sidecar:2-unresolvable" was not pinned to a digest: the registry lookup gave no digest',
      ]);
      const patch = decodePatch(got);
      expect(patch).toEqual([
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: `nginx:1.27@${digestOf('nginx:1.27')}`,
        },
      ]);
    });

    it('sends no patch for DELETE', async () => {
      const sent = review(kubectlObject('kubectl-pod.json'), POD, {
        operation: 'DELETE',
        object: undefined,
      });
      const got = JSON.parse((await post('/mutate', sent.body)).text) as ReviewResponse;
      expect(got.response).toEqual({ uid: sent.uid, allowed: true });
    });

    it('patches only ephemeral containers through pods/ephemeralcontainers', async () => {
      const pod = { ...kubectlObject('kubectl-pod.json') };
      const spec = pod.spec as Record<string, unknown>;
      pod.spec = { ...spec, ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }] };
      const sent = review(pod, POD, {
        operation: 'UPDATE',
        subResource: 'ephemeralcontainers',
        oldObject: kubectlObject('kubectl-pod.json'),
      });
      const got = JSON.parse((await post('/mutate', sent.body)).text) as ReviewResponse;
      const patch = decodePatch(got);
      expect(patch).toEqual([
        {
          op: 'replace',
          path: '/spec/ephemeralContainers/0/image',
          value: `busybox:1.36@${digestOf('busybox:1.36')}`,
        },
      ]);
    });
  });

  describe('logs', () => {
    it('log each decision as JSON with its identity and verdict, never the object or its env', async () => {
      const pod = kubectlObject('kubectl-pod.json');
      const spec = pod.spec as { containers: Record<string, unknown>[] };
      spec.containers[0] = {
        ...spec.containers[0],
        env: [{ name: 'DB_PASSWORD', value: 'hunter2-very-secret' }],
      };
      const sent = review(pod, POD, { name: 'shell', dryRun: true });
      await post('/validate', sent.body);
      const line = logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.uid === sent.uid);
      expect(line).toMatchObject({
        msg: 'admission',
        endpoint: 'validate',
        kind: 'Pod',
        namespace: 'default',
        name: 'shell',
        operation: 'CREATE',
        dryRun: true,
        allowed: false,
        result: 'denied',
      });
      expect(typeof line?.durationMs).toBe('number');
      expect(logLines.join('')).not.toContain('hunter2');
      expect(logLines.join('')).not.toContain('DB_PASSWORD');
    });
  });

  describe('probes and metrics', () => {
    it('answers healthz and readyz', async () => {
      expect(JSON.parse((await get('/healthz')).text)).toEqual({ status: 'ok' });
      expect((await get('/readyz')).status).toBe(200);
    });

    it('exports Prometheus text that counts requests by endpoint and result', async () => {
      const before = parseMetrics((await get('/metrics')).text);
      await post('/validate', review(kubectlObject('kubectl-deployment.json'), DEPLOYMENT).body);
      await post('/validate', review(kubectlObject('kubectl-job.json'), JOB).body);
      await post('/validate', 'null');
      await post('/mutate', review(kubectlObject('kubectl-job.json'), JOB).body);
      const answer = await get('/metrics');
      expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const after = parseMetrics(answer.text);
      const delta = (key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      expect(delta('portcullis_admission_requests_total{endpoint="validate",result="allowed"}')).toBe(1);
      expect(delta('portcullis_admission_requests_total{endpoint="validate",result="denied"}')).toBe(1);
      expect(delta('portcullis_admission_requests_total{endpoint="validate",result="error"}')).toBe(1);
      expect(delta('portcullis_admission_requests_total{endpoint="mutate",result="allowed"}')).toBe(1);
      expect(delta('portcullis_admission_request_duration_seconds_count{endpoint="validate"}')).toBe(3);
      expect(after.get('portcullis_admission_in_flight_requests{endpoint="validate"}')).toBe(0);
      expect(after.get('portcullis_test_extra')).toBe(7);
      expect(
        after.has('portcullis_admission_request_duration_seconds_bucket{le="0.005",endpoint="validate"}'),
      ).toBe(true);
    });
  });
});

/** Parses Prometheus text exposition, failing on any line that is not a comment or a sample. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(m[1] ?? '', Number(m[2]));
  }
  return samples;
}
