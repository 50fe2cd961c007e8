import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import {
  podAdmissionReview,
  postJsonOverTls,
  requestOverTls,
  webhookTestCertificates,
} from '../testing/admission-webhook.js';
import type { AdmissionFacts, FactPlan, FactSource } from '../admission/index.js';
import { WebhookError, startAdmissionServer } from './index.js';

const POLICY = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
`);

/** Holds every gather until `release()`, and says when the first one started. */
function heldSource(): { source: FactSource; started: Promise<void>; release: () => void } {
  let onStart = (): void => undefined;
  let release = (): void => undefined;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    started,
    release: () => {
      release();
    },
    source: {
      async gather(plan: FactPlan): Promise<AdmissionFacts> {
        onStart();
        await released;
        return { images: Object.fromEntries(plan.images.map((n) => [n.image, { scan: { findings: [] } }])) };
      },
    },
  };
}

/** A webhook whose fact source the test holds; the deadline is far off, so only the test releases it. */
async function startHeld(extra: { drainDelayMs?: number; gracePeriodMs?: number }) {
  const { ca, serving } = await webhookTestCertificates();
  const held = heldSource();
  const server = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    tls: serving,
    policy: () => POLICY,
    facts: held.source,
    deadlineMs: 20_000,
    logger: false,
    ...extra,
  });
  return { ca, held, server };
}

describe('startAdmissionServer', () => {
  it('lets an in-flight request finish on close, with readyz at 503 meanwhile, then stops listening', async () => {
    const { ca, held, server } = await startHeld({ drainDelayMs: 2_000 });
    const { uid, body } = podAdmissionReview(['nginx:1.27']);
    const inFlight = postJsonOverTls(server.url, ca.certPem, '/validate', body);
    await held.started;
    expect((await requestOverTls(server.url, { ca: ca.certPem, path: '/readyz' })).status).toBe(200);

    const closing = server.close();
    const ready = await requestOverTls(server.url, { ca: ca.certPem, path: '/readyz' });
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: 'shutting down' });

    held.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: true },
    });
    await closing;
    await expect(requestOverTls(server.url, { ca: ca.certPem, path: '/healthz' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await server.close(); // idempotent
  });

  it('cuts a request that outlives the grace period', async () => {
    const { ca, held, server } = await startHeld({ gracePeriodMs: 100 });
    const inFlight = postJsonOverTls(
      server.url,
      ca.certPem,
      '/validate',
      podAdmissionReview(['nginx:1.27']).body,
    );
    await held.started;
    await server.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'ECONNRESET' });
    held.release();
  });

  it('refuses to start without TLS material', async () => {
    const err: unknown = await startAdmissionServer({
      host: '127.0.0.1',
      port: 0,
      tls: { certPem: '', keyPem: '' },
      policy: () => POLICY,
      logger: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookError);
    expect(err).toMatchObject({
      code: 'WEBHOOK_OPTIONS_INVALID',
      message: expect.stringMatching(/HTTPS only/) as unknown,
    });
  });

  it("refuses a key that is not the certificate's", async () => {
    const a = await webhookTestCertificates();
    const b = await webhookTestCertificates();
    await expect(
      startAdmissionServer({
        host: '127.0.0.1',
        port: 0,
        tls: { certPem: a.serving.certPem, keyPem: b.serving.keyPem },
        policy: () => POLICY,
        logger: false,
      }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_TLS_INVALID' });
  });

  it('refuses a deadline the webhook timeout could never allow', async () => {
    const { serving } = await webhookTestCertificates();
    await expect(
      startAdmissionServer({
        host: '127.0.0.1',
        port: 0,
        tls: serving,
        policy: () => POLICY,
        deadlineMs: 30_000,
        logger: false,
      }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_OPTIONS_INVALID' });
  });

  it('says which port is taken', async () => {
    const { serving } = await webhookTestCertificates();
    const first = await startAdmissionServer({
      host: '127.0.0.1',
      port: 0,
      tls: serving,
      policy: () => POLICY,
      logger: false,
    });
    try {
      await expect(
        startAdmissionServer({
          host: '127.0.0.1',
          port: first.port,
          tls: serving,
          policy: () => POLICY,
          logger: false,
        }),
      ).rejects.toMatchObject({
        code: 'WEBHOOK_LISTEN_FAILED',
        message: expect.stringContaining(`127.0.0.1:${first.port}`) as unknown,
      });
    } finally {
      await first.close();
    }
  });
});
