import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import {
  podAdmissionReview,
  postJsonOverTls,
  requestOverTls,
  webhookTestCertificates,
} from '../testing/admission-webhook.js';
import type { AdmissionFacts, FactPlan, FactSource } from '../admission/index.js';
import { startAdmissionServer } from './index.js';
import type { AdmissionServer } from './index.js';

// The key is only shape-checked by the policy schema; the fact source below never verifies.
const KEY = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';

function signaturePolicy(onError: 'deny' | 'allow') {
  return parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: signed
    kind: requireSignature
    onError: ${onError}
    keys:
      - pem: ${JSON.stringify(KEY)}
`);
}

/** Never settles, and ignores its signal: the webhook's own timer must answer. */
const hangingSource: FactSource = {
  gather: () => new Promise<AdmissionFacts>(() => undefined),
};

/** Honours its signal as the contract asks: on abort it returns `{ error }` facts of its own. */
const abortingSource: FactSource = {
  gather: (plan: FactPlan, signal: AbortSignal) =>
    new Promise<AdmissionFacts>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve({
          images: Object.fromEntries(
            plan.images.map((n) => [
              n.image,
              { signatures: { signed: { error: 'registry.example did not answer' } } },
            ]),
          ),
        });
      });
    }),
};

/** Breaks the contract by rejecting, with a message that must not reach the user. */
const throwingSource: FactSource = {
  gather: () => Promise.reject(new Error('GET https://user:s3cret@registry.example/v2/ failed')),
};

const signedSource: FactSource = {
  gather: (plan: FactPlan) =>
    Promise.resolve({
      images: Object.fromEntries(
        plan.images.map((n) => [
          n.image,
          { digest: `sha256:${'a'.repeat(64)}`, signatures: { signed: { satisfied: true, reasons: [] } } },
        ]),
      ),
    }),
};

type Answer = {
  response: {
    uid: string;
    allowed: boolean;
    status?: { message: string };
    warnings?: string[];
    patch?: string;
  };
};

describe('fact gathering under a deadline', () => {
  let ca: string;
  let serving: { certPem: string; keyPem: string };
  const servers: AdmissionServer[] = [];

  beforeAll(async () => {
    const certs = await webhookTestCertificates();
    ca = certs.ca.certPem;
    serving = certs.serving;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function ask(
    facts: FactSource | undefined,
    onError: 'deny' | 'allow',
    endpoint = '/validate',
  ): Promise<{ uid: string; answer: Answer; metrics: string }> {
    const policy = signaturePolicy(onError);
    const server = await startAdmissionServer({
      host: '127.0.0.1',
      port: 0,
      tls: serving,
      policy: () => policy,
      ...(facts !== undefined ? { facts } : {}),
      deadlineMs: 300,
      logger: false,
    });
    servers.push(server);
    const { uid, body } = podAdmissionReview(['registry.example/team/app:1.0']);
    // The client gives up after 30 s: far beyond the 300 ms deadline, so only a hang fails this.
    const res = await postJsonOverTls(server.url, ca, endpoint, body);
    expect(res.status).toBe(200);
    const metrics = await requestOverTls(server.url, { ca, path: '/metrics' });
    return { uid, answer: JSON.parse(res.text) as Answer, metrics: metrics.text };
  }

  it('denies, saying what could not be gathered, when a source that never answers meets onError deny', async () => {
    const { uid, answer, metrics } = await ask(hangingSource, 'deny');
    expect(answer.response.uid).toBe(uid);
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.message).toContain(
      'rule "signed" (requireSignature): could not verify the signature of image "registry.example/team/app:1.0": not gathered within the 300 ms deadline',
    );
    expect(metrics).toContain(
      'portcullis_admission_fact_errors_total{endpoint="validate",reason="deadline"} 1',
    );
  });

  it('admits with a warning when a source that never answers meets onError allow', async () => {
    const { answer } = await ask(hangingSource, 'allow');
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.warnings).toEqual([
      'rule "signed" (requireSignature): could not verify the signature of image "registry.example/team/app:1.0": not gathered within the 300 ms deadline (admitted: onError allow)',
    ]);
  });

  it("passes on a well-behaved source's own error when it stops at the signal", async () => {
    const { answer, metrics } = await ask(abortingSource, 'deny');
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.message).toContain('registry.example did not answer');
    expect(metrics).toContain(
      'portcullis_admission_fact_errors_total{endpoint="validate",reason="lookup"} 1',
    );
  });

  it('denies without echoing the error of a source that rejects', async () => {
    const { answer, metrics } = await ask(throwingSource, 'deny');
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.message).toContain('the fact source failed');
    expect(answer.response.status?.message).not.toContain('s3cret');
    expect(metrics).toContain('reason="source_failed"} 1');
  });

  it('denies with onError deny when no fact source is configured', async () => {
    const { answer } = await ask(undefined, 'deny');
    expect(answer.response.status?.message).toContain('no registry lookups are configured');
  });

  it('admits a signed image when the facts arrive in time', async () => {
    const { answer } = await ask(signedSource, 'deny');
    expect(answer.response).toEqual({ uid: answer.response.uid, allowed: true });
  });

  it('mutate admits unpinned, with a warning naming the image and the deadline', async () => {
    const { answer } = await ask(hangingSource, 'deny', '/mutate');
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patch).toBeUndefined();
    expect(answer.response.warnings).toEqual([
      'image "registry.example/team/app:1.0" was not pinned to a digest: not gathered within the 300 ms deadline',
    ]);
  });
});
