import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import {
  AdmissionError,
  buildAdmissionResponse,
  parseAdmissionReview,
  parseAdmissionReviewJson,
} from './index.js';

// Connaisseur's recorded AdmissionReviews (see ../shared/data/signing/SOURCES.md).
function fixtureText(name: string): string {
  return readFileSync(sharedData('lint-audit', 'admission-review', 'connaisseur', name), 'utf8');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AdmissionError ? `${err.code}: ${err.message}` : `other: ${String(err)}`;
  }
  return undefined;
}

describe('parseAdmissionReview', () => {
  it.each([
    ['21_broken_admission_request.json', /request\.uid/],
    ['25_null_request.json', /empty \(null\)/],
    ['26_broken_update_admission_request.json', /request\.uid/],
  ])('refuses the malformed body %s with ADMISSION_REVIEW_INVALID', (name, message) => {
    const got = codeOf(() => parseAdmissionReviewJson(fixtureText(name)));
    expect(got).toMatch(/^ADMISSION_REVIEW_INVALID: /);
    expect(got).toMatch(message);
  });

  it.each([
    ['not json', '{"kind": '],
    ['an array', '[]'],
    ['a string', '"AdmissionReview"'],
    ['the wrong apiVersion', '{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{}}'],
    ['the wrong kind', '{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}}'],
    [
      'an unknown operation',
      '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"PATCH"}}',
    ],
  ])('refuses %s', (_what, text) => {
    expect(codeOf(() => parseAdmissionReviewJson(text))).toMatch(/^ADMISSION_REVIEW_INVALID: /);
  });

  it('refuses undefined (no body at all)', () => {
    expect(codeOf(() => parseAdmissionReview(undefined))).toMatch(/^ADMISSION_REVIEW_INVALID: /);
  });

  it.each([
    ['02_pod.json', 'admission.k8s.io/v1', 'CREATE', 'Pod', false],
    ['01_deployment.json', 'admission.k8s.io/v1beta1', 'CREATE', 'Deployment', false],
    ['10_update.json', 'admission.k8s.io/v1', 'UPDATE', 'ReplicaSet', true],
    ['04_cronjob.json', 'admission.k8s.io/v1beta1', 'CREATE', 'CronJob', false],
    ['09_dply_multi_image.json', 'admission.k8s.io/v1beta1', 'CREATE', 'Deployment', false],
  ])('reads %s', (name, apiVersion, operation, kind, hasOld) => {
    const req = parseAdmissionReviewJson(fixtureText(name));
    expect(req.apiVersion).toBe(apiVersion);
    expect(req.operation).toBe(operation);
    expect(req.kind.kind).toBe(kind);
    expect(req.dryRun).toBe(false);
    expect(req.object).toBeDefined();
    // The recorded CREATEs carry oldObject "" or "None"; only an object counts.
    expect(req.oldObject !== undefined && Object.keys(req.oldObject).length > 0).toBe(hasOld);
  });

  it('honours dryRun inside the request', () => {
    const review = JSON.parse(fixtureText('02_pod.json')) as { request: Record<string, unknown> };
    review.request['dryRun'] = true;
    expect(parseAdmissionReview(review).dryRun).toBe(true);
  });
});

describe('buildAdmissionResponse', () => {
  it('echoes the uid and puts the denial in status', () => {
    const res = buildAdmissionResponse({ uid: 'abc', allowed: false, message: 'no' });
    expect(res).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: false, status: { code: 403, message: 'no' } },
    });
  });

  it('sends no status, patch or warnings when there are none', () => {
    const res = buildAdmissionResponse({ uid: 'abc', allowed: true, warnings: [], patch: [] });
    expect(res.response).toEqual({ uid: 'abc', allowed: true });
  });

  it('sends a patch base64-encoded with its patchType', () => {
    const patch = [{ op: 'replace' as const, path: '/spec/containers/0/image', value: 'nginx:1@sha256:00' }];
    const res = buildAdmissionResponse({ uid: 'u', allowed: true, patch });
    expect(res.response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(res.response.patch ?? '', 'base64').toString('utf8'))).toEqual(patch);
  });

  it('keeps warnings few, short and distinct', () => {
    const many = Array.from({ length: 30 }, (_, i) => `warning ${i} ${'x'.repeat(400)}`);
    const res = buildAdmissionResponse({ uid: 'u', allowed: true, warnings: [...many, ...many] });
    const warnings = res.response.warnings ?? [];
    expect(warnings).toHaveLength(10);
    expect(warnings.every((w) => w.length <= 256)).toBe(true);
    expect(warnings[9]).toBe('…and 21 more warnings');
  });
});
