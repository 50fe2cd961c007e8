import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { buildAdmissionResponse, extractPodImages, pinImagesPatch } from './index.js';

// A well-formed digest per image (sha256 of the string): the mutation only needs the shape.
function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function digestsFor(kind: string, object: unknown): Record<string, string> {
  const pod = extractPodImages(kind, object);
  return Object.fromEntries((pod?.images ?? []).map((s) => [s.image, digestOf(s.image)]));
}

function testdata(name: string): unknown {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, 'testdata', name), 'utf8'));
}

// Applies the patch with fast-json-patch (validating each operation against the document), so
// a wrong pointer or an op the library rejects fails the test rather than our own code agreeing
// with itself.
function apply(object: unknown, patch: readonly unknown[]): unknown {
  return jsonPatch.applyPatch(
    jsonPatch.deepClone(object) as object,
    patch as Operation[],
    true, // validate
    false, // do not mutate the input
  ).newDocument;
}

const podSpec = {
  initContainers: [{ name: 'init', image: 'busybox' }],
  containers: [
    { name: 'app', image: 'ghcr.io/acme/app:1.2' },
    { name: 'side', image: 'registry.acme.example:5000/team/side:latest' },
  ],
  ephemeralContainers: [{ name: 'debug', image: 'nicolaka/netshoot:v0.13' }],
  volumes: [
    { name: 'models', image: { reference: 'ghcr.io/acme/models:3', pullPolicy: 'IfNotPresent' } },
    { name: 'scratch', emptyDir: {} },
  ],
};

const cases: readonly { name: string; kind: string; object: unknown; images: number }[] = [
  {
    name: 'Pod with init, ephemeral containers and an image volume',
    kind: 'Pod',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec },
    images: 5,
  },
  {
    name: 'Deployment template',
    kind: 'Deployment',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { template: { metadata: {}, spec: podSpec } },
    },
    images: 5,
  },
  {
    name: 'CronJob (nested job template)',
    kind: 'CronJob',
    object: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: podSpec } } } },
    },
    images: 5,
  },
  {
    name: 'PodTemplate',
    kind: 'PodTemplate',
    object: { kind: 'PodTemplate', template: { spec: podSpec } },
    images: 5,
  },
  {
    name: 'kubectl create deployment',
    kind: 'Deployment',
    object: testdata('kubectl-deployment.json'),
    images: 2,
  },
  { name: 'kubectl create job', kind: 'Job', object: testdata('kubectl-job.json'), images: 1 },
  { name: 'kubectl create cronjob', kind: 'CronJob', object: testdata('kubectl-cronjob.json'), images: 1 },
  { name: 'kubectl run', kind: 'Pod', object: testdata('kubectl-pod.json'), images: 1 },
];

describe('pinImagesPatch', () => {
  it.each(cases)(
    'pins every image of a $name, and a second pass returns no ops',
    ({ kind, object, images }) => {
      const digests = digestsFor(kind, object);
      const first = pinImagesPatch(kind, object, digests);
      expect(first.patch).toHaveLength(images);
      expect(first.unpinned).toEqual([]);
      for (const op of first.patch) {
        expect(op.op).toBe('replace');
        // The pointer resolves to the image as written, through the library's own RFC 6901 reader.
        const before = jsonPatch.getValueByPointer(object, op.path) as string;
        expect(op).toEqual({ op: 'replace', path: op.path, value: `${before}@${digestOf(before)}` });
      }
      const patched = apply(object, first.patch);
      const after = extractPodImages(kind, patched);
      expect(after?.images).toHaveLength(images);
      for (const site of after?.images ?? []) {
        expect(site.image).toMatch(/@sha256:[a-f0-9]{64}$/);
      }
      // Nothing but the image fields changed.
      const restored = apply(
        patched,
        first.pinned.map((p) => ({ op: 'replace', path: p.path, value: p.image })),
      );
      expect(restored).toEqual(object);

      const second = pinImagesPatch(kind, patched, { ...digests, ...digestsFor(kind, patched) });
      expect(second.patch).toEqual([]);
      expect(second.alreadyPinned).toHaveLength(images);
    },
  );

  it('keeps the tag and the spelling as written', () => {
    const object = {
      spec: {
        containers: [
          { name: 'a', image: 'nginx:1.27' },
          { name: 'b', image: 'docker.io/library/Nginx' },
        ],
      },
    };
    const d = digestOf('x');
    const { patch, unpinned } = pinImagesPatch('Pod', object, {
      'nginx:1.27': d,
      'docker.io/library/Nginx': d,
    });
    expect(patch).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `nginx:1.27@${d}` }]);
    // Upper case is not valid in a repository path: reported, never patched.
    expect(unpinned).toEqual([
      {
        image: 'docker.io/library/Nginx',
        path: '/spec/containers/1/image',
        reason: 'not a valid image reference',
      },
    ]);
  });

  it.each([
    { name: 'no digest known', digests: {}, reason: 'no digest known for this image' },
    { name: 'a malformed digest', digests: { 'nginx:1.27': 'sha256:abc' }, reason: 'is not sha256:<64 hex>' },
    {
      name: 'an upper-case digest',
      digests: { 'nginx:1.27': `sha256:${'A'.repeat(64)}` },
      reason: 'is not sha256',
    },
  ])('leaves an image unpinned and reports it for $name', ({ digests, reason }) => {
    const object = { spec: { containers: [{ name: 'a', image: 'nginx:1.27' }] } };
    const result = pinImagesPatch('Pod', object, digests);
    expect(result.patch).toEqual([]);
    expect(result.unpinned).toHaveLength(1);
    expect(result.unpinned[0]?.reason).toContain(reason);
  });

  it('leaves an image that already has a digest alone even when another digest is offered', () => {
    const pinnedImage = `nginx:1.27@${digestOf('old')}`;
    const object = { spec: { containers: [{ name: 'a', image: pinnedImage }] } };
    const result = pinImagesPatch('Pod', object, { [pinnedImage]: digestOf('new') });
    expect(result.patch).toEqual([]);
    expect(result.alreadyPinned.map((s) => s.image)).toEqual([pinnedImage]);
  });

  it('patches each occurrence of an image that appears twice', () => {
    const object = {
      spec: {
        containers: [
          { name: 'a', image: 'nginx:1' },
          { name: 'b', image: 'nginx:1' },
        ],
      },
    };
    const { patch } = pinImagesPatch('Pod', object, { 'nginx:1': digestOf('n') });
    expect(patch.map((p) => p.path)).toEqual(['/spec/containers/0/image', '/spec/containers/1/image']);
  });

  it('does not take digests from the prototype of the map', () => {
    const object = { spec: { containers: [{ name: 'a', image: 'constructor' }] } };
    expect(pinImagesPatch('Pod', object, {}).patch).toEqual([]);
  });

  it('returns nothing for kinds without pods', () => {
    expect(pinImagesPatch('ConfigMap', { data: {} }, {})).toEqual({
      patch: [],
      pinned: [],
      unpinned: [],
      alreadyPinned: [],
    });
  });

  // Our pointers contain only fixed field names and indices, so RFC 6901 escaping never fires in
  // practice; this checks that what we emit is what a conforming reader resolves, segment by segment.
  it('emits pointers a conforming RFC 6901 reader resolves to the image field', () => {
    const object = { spec: { template: { spec: podSpec } } };
    const { patch } = pinImagesPatch('StatefulSet', object, digestsFor('StatefulSet', object));
    expect(patch.map((p) => p.path)).toEqual([
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/1/image',
      '/spec/template/spec/initContainers/0/image',
      '/spec/template/spec/ephemeralContainers/0/image',
      '/spec/template/spec/volumes/0/image/reference',
    ]);
    for (const op of patch) {
      expect(jsonPatch.validate([op as Operation], object)).toBeUndefined();
    }
  });

  // The webhook's path: the patch travels base64-encoded in the response with its patchType,
  // and the API server applies it; the reinvocation then gets an object that needs no patch.
  it('round-trips through the AdmissionReview response and leaves no patch on reinvocation', () => {
    const object = testdata('kubectl-deployment.json');
    const digests = digestsFor('Deployment', object);
    const { patch } = pinImagesPatch('Deployment', object, digests);
    const response = buildAdmissionResponse({ uid: 'u1', allowed: true, patch }).response;
    expect(response.patchType).toBe('JSONPatch');
    const sent = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as unknown[];
    const patched = apply(object, sent);
    const again = buildAdmissionResponse({
      uid: 'u2',
      allowed: true,
      patch: pinImagesPatch('Deployment', patched, digests).patch,
    }).response;
    expect(again).toEqual({ uid: 'u2', allowed: true });
  });
});
