import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { AdmissionError, extractPodImages, parseAdmissionReviewJson } from './index.js';

function connaisseur(name: string): ReturnType<typeof parseAdmissionReviewJson> {
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

describe('extractPodImages on recorded AdmissionReviews', () => {
  it.each([
    [
      '01_deployment.json',
      [['/spec/template/spec/containers/0/image', 'securesystemsengineering/alice-image:test']],
    ],
    [
      '03_replicaset.json',
      [['/spec/template/spec/containers/0/image', 'securesystemsengineering/sample-san-sama:hai']],
    ],
    ['04_cronjob.json', [['/spec/jobTemplate/spec/template/spec/containers/0/image', 'busybox']]],
    ['05_replication_controller.json', [['/spec/template/spec/containers/0/image', 'nginx']]],
    [
      '06_daemonset.json',
      [['/spec/template/spec/containers/0/image', 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2']],
    ],
    ['07_statefulset.json', [['/spec/template/spec/containers/0/image', 'registry.k8s.io/nginx-slim:0.8']]],
    ['08_job.json', [['/spec/template/spec/containers/0/image', 'perl:5.34.0']]],
    [
      '09_dply_multi_image.json',
      [
        ['/spec/template/spec/containers/0/image', 'redis:alpine'],
        ['/spec/template/spec/containers/1/image', 'mysql:8'],
        ['/spec/template/spec/initContainers/0/image', 'busybox:1.32'],
      ],
    ],
    [
      '19_pod_initcontainer.json',
      [
        [
          '/spec/containers/0/image',
          'securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff',
        ],
        ['/spec/initContainers/0/image', 'nginx'],
      ],
    ],
    [
      '20_pod_ephemeralcontainer.json',
      [
        [
          '/spec/containers/0/image',
          'securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff',
        ],
        ['/spec/ephemeralContainers/0/image', 'nginx'],
      ],
    ],
  ])('finds every image of %s with its JSON pointer', (name, expected) => {
    const req = connaisseur(name);
    const pod = extractPodImages(req.kind.kind, req.object);
    expect(pod?.images.map((i) => [i.path, i.image])).toEqual(expected);
  });

  it('reads no pods from a Role', () => {
    const req = connaisseur('11_role.json');
    expect(extractPodImages(req.kind.kind, req.object)).toBeUndefined();
  });

  it('refuses a Pod without a spec with ADMISSION_OBJECT_INVALID', () => {
    const req = connaisseur('12_err_pod.json');
    expect(() => extractPodImages(req.kind.kind, req.object)).toThrow(AdmissionError);
  });
});

describe('extractPodImages on kubectl-made objects', () => {
  it.each([
    [
      'kubectl-deployment.json',
      [
        ['/spec/template/spec/containers/0/image', 'nginx:1.27'],
        ['/spec/template/spec/containers/1/image', 'ghcr.io/acme/sidecar:2'],
      ],
      { app: 'web' },
    ],
    ['kubectl-job.json', [['/spec/template/spec/containers/0/image', 'busybox']], {}],
    [
      'kubectl-cronjob.json',
      [['/spec/jobTemplate/spec/template/spec/containers/0/image', 'my-registry.io.evil.com/backup:1']],
      {},
    ],
    [
      'kubectl-pod.json',
      [['/spec/containers/0/image', 'my-registry.io-evil/tools']],
      { app: 'shell', tier: 'debug' },
    ],
  ])('finds the images and pod labels of %s', (name, expected, labels) => {
    const obj = kubectlObject(name);
    const pod = extractPodImages(String(obj['kind']), obj);
    expect(pod?.images.map((i) => [i.path, i.image])).toEqual(expected);
    expect(pod?.labels).toEqual(labels);
  });
});

describe('extractPodImages on hand-written shapes', () => {
  const podSpec = {
    securityContext: { runAsNonRoot: true, runAsUser: 1000 },
    imagePullSecrets: [{ name: 'regcred' }, {}],
    containers: [{ name: 'app', image: 'app:1', securityContext: { runAsUser: 0 } }, { name: 'noimage' }],
    volumes: [
      { name: 'data', image: { reference: 'ghcr.io/acme/models:v1' } },
      { name: 'scratch', emptyDir: {} },
    ],
  };

  it.each([
    ['Pod', { spec: podSpec }, '/spec'],
    ['PodTemplate', { template: { spec: podSpec } }, '/template/spec'],
    ['StatefulSet', { spec: { template: { spec: podSpec } } }, '/spec/template/spec'],
  ])('reads image volumes, pull secrets and the effective user of a %s', (kind, object, specPath) => {
    const pod = extractPodImages(kind, object);
    expect(pod?.specPath).toBe(specPath);
    expect(pod?.imagePullSecrets).toEqual(['regcred']);
    expect(pod?.images).toEqual([
      {
        image: 'app:1',
        path: `${specPath}/containers/0/image`,
        site: 'container',
        name: 'app',
        runAs: { runAsNonRoot: true, runAsUser: 0 },
      },
      {
        image: 'ghcr.io/acme/models:v1',
        path: `${specPath}/volumes/0/image/reference`,
        site: 'volume',
        name: 'data',
      },
    ]);
  });

  it.each([
    ['containers is not a list', { spec: { containers: { image: 'x' } } }, /\/containers/],
    ['an image is a number', { spec: { containers: [{ image: 5 }] } }, /\/containers\/0\/image/],
    ['labels are not strings', { metadata: { labels: { a: 1 } }, spec: { containers: [] } }, /labels/],
  ])('refuses a Pod whose %s', (_what, object, where) => {
    expect(() => extractPodImages('Pod', object)).toThrow(where);
  });
});
