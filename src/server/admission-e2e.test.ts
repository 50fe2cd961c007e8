import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmissionServer, type AdmissionServer } from '../webhook/index.js';
import { RegistryClient } from '../oci/index.js';
import { parsePolicy, type Policy } from '../policy/index.js';
import {
  decodePatch,
  podAdmissionReview,
  postJsonOverTls,
  webhookTestCertificates,
  type AdmissionReviewAnswer,
} from '../testing/admission-webhook.js';
import { startProxy, type TestProxy } from '../testing/http-proxy.js';
import { createRegistryFactSource, type RegistryFactSource } from './facts/index.js';
import {
  policyYaml,
  signatureRule,
  startAdmissionFixture,
  type AdmissionFixture,
} from './facts/testdata/admission-fixture.js';

// The admission webhook end to end: the HTTPS server (certificate from src/tls, trusted by the
// client through the CA only), real AdmissionReview Pods, the registry fact source against a
// real docker-registry with images signed by portcullis and scanned against Trivy's fixture DB.

let fx: AdmissionFixture;
let client: RegistryClient;
let source: RegistryFactSource;
let server: AdmissionServer;
let caPem: string;
let policy: Policy | undefined;
let hanging: TestProxy;

const DEADLINE_MS = 2000;

beforeAll(async () => {
  fx = await startAdmissionFixture();
  client = new RegistryClient({ retries: 1, retryDelayMs: { base: 10, max: 100 } });
  source = createRegistryFactSource({ client, vulnDb: fx.db });
  const { ca, serving } = await webhookTestCertificates();
  caPem = ca.certPem;
  server = await startAdmissionServer({
    policy: () => policy,
    facts: source,
    deadlineMs: DEADLINE_MS,
    logger: false,
    host: '127.0.0.1',
    port: 0,
    tls: serving,
  });
  hanging = await startProxy(fx.signing.registry.host, () => {
    // Never answers: the registry is unreachable in the way that matters here.
  });
}, 600_000);

afterAll(async () => {
  await server.close();
  await hanging.stop();
  await source.close();
  client.close();
  await fx.close();
});

/** Sends a Pod with `image` to `path` under a policy of `rules`; checks the envelope. */
async function review(path: string, image: string, rules: readonly string[]): Promise<AdmissionReviewAnswer> {
  policy = parsePolicy(policyYaml(rules));
  const { uid, body } = podAdmissionReview([image]);
  const answer = await postJsonOverTls(server.url, caPem, path, body);
  expect(answer.status).toBe(200);
  const parsed = JSON.parse(answer.text) as AdmissionReviewAnswer;
  expect(parsed.kind).toBe('AdmissionReview');
  expect(parsed.response.uid).toBe(uid);
  return parsed;
}

async function validate(image: string, rules: readonly string[]): Promise<AdmissionReviewAnswer['response']> {
  return (await review('/validate', image, rules)).response;
}

const trusted = (extra: readonly string[] = []): string =>
  signatureRule('trusted', fx.trusted.publicPem, extra);
const noCritical = (onError = 'deny'): string =>
  [
    '  - name: no-critical',
    '    kind: vulnerabilities',
    '    failOn: critical',
    `    onError: ${onError}`,
  ].join('\n');

describe('admission webhook over HTTPS with registry facts', () => {
  it('admits a Pod whose image is signed with the trusted key', async () => {
    const r = await validate(fx.images.signed, [trusted()]);
    expect(r.allowed).toBe(true);
    expect(r.status).toBeUndefined();
  });

  it('denies a Pod with an unsigned image: 403 and the reason', async () => {
    const r = await validate(fx.images.unsigned, [trusted()]);
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(403);
    expect(r.status?.message).toContain(`image "${fx.images.unsigned}" has no accepted signature`);
    expect(r.status?.message).toMatch(/no signatures found for sha256:[0-9a-f]{64}/);
  });

  it('denies a Pod whose image is signed with another key, saying the signature does not verify', async () => {
    const r = await validate(fx.images.otherKey, [trusted()]);
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(403);
    expect(r.status?.message).toContain('the signature does not verify with the given public key');
  });

  it('denies a Pod whose image has a critical finding, with the CVE in the message; admits one without', async () => {
    const r = await validate(fx.images.critical, [noCritical()]);
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(403);
    expect(r.status?.message).toContain('CVE-2019-14697 (critical, musl, fixed in 1.1.20-r5)');
    const ok = await validate(fx.images.noCritical, [noCritical()]);
    expect(ok.allowed).toBe(true);
  });

  it('the mutating endpoint pins the signed tag to the digest it was verified at', async () => {
    const answer = await review('/mutate', fx.images.signed, [trusted()]);
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patchType).toBe('JSONPatch');
    expect(decodePatch(answer)).toEqual([
      {
        op: 'replace',
        path: '/spec/containers/0/image',
        value: expect.stringMatching(new RegExp(`^${fx.images.signed}@sha256:[0-9a-f]{64}$`)) as unknown,
      },
    ]);
  });

  it('a registry that does not answer: the answer comes within the deadline and follows onError', async () => {
    const image = `${hanging.host}/team/signed:v1`;
    const denied = await validate(image, [trusted()]);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toMatch(
      new RegExp(
        `could not verify the signature of image "${image}": registry ${hanging.host} did not answer within \\d+ ms`,
      ),
    );
    const allowed = await validate(image, [trusted(['onError: allow'])]);
    expect(allowed.allowed).toBe(true);
    expect(allowed.warnings).toEqual([
      expect.stringContaining(`registry ${hanging.host} did not answer`) as unknown,
    ]);
  });

  // Last: it stops the registry.
  it('with the registry stopped: deny names the registry that refused, allow admits with a warning', async () => {
    await fx.stopRegistry();
    const host = fx.signing.registry.host;
    // A fresh tag: the fact source already knows the digests of the others.
    const image = `${host}/team/unseen:v1`;
    const denied = await validate(image, [trusted(), noCritical()]);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.code).toBe(403);
    expect(denied.status?.message).toContain(`cannot reach registry ${host}`);
    expect(denied.status?.message).toContain(`ECONNREFUSED ${host}`);
    const allowed = await validate(image, [trusted(['onError: allow']), noCritical('allow')]);
    expect(allowed.allowed).toBe(true);
    expect(allowed.warnings).toHaveLength(2);
    for (const w of allowed.warnings ?? []) expect(w).toContain(`ECONNREFUSED ${host}`);
    // Pinning alone: admitted unpinned, and the warning says which registry could not be reached.
    const pin = await review('/mutate', `${host}/team/other:v2`, [
      '  - name: no-latest',
      '    kind: disallowTags',
    ]);
    expect(pin.response.allowed).toBe(true);
    expect(pin.response.patch).toBeUndefined();
    expect(pin.response.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^image "${host}/team/other:v2" was not pinned to a digest: .*ECONNREFUSED ${host}`),
      ) as unknown,
    ]);
  });
});
