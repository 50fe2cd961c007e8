import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { generateCertificateAuthority, issueServingCertificate } from '../tls/index.js';
import type { CertificateAndKey } from '../tls/index.js';

/** The name the test webhook's certificate is issued for, as a Service DNS name. */
export const WEBHOOK_TEST_NAME = 'portcullis-admission.test.svc';

/** A fresh CA and a serving certificate for {@link WEBHOOK_TEST_NAME} and 127.0.0.1. */
export async function webhookTestCertificates(): Promise<{
  ca: CertificateAndKey;
  serving: CertificateAndKey;
}> {
  const ca = await generateCertificateAuthority({ commonName: 'portcullis webhook test CA' });
  const serving = await issueServingCertificate(ca, {
    dnsNames: [WEBHOOK_TEST_NAME],
    ipAddresses: ['127.0.0.1'],
  });
  return { ca, serving };
}

export type HttpsAnswer = {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
};

/**
 * One request over a new TLS connection that trusts only `ca` and checks the certificate
 * against {@link WEBHOOK_TEST_NAME}, as the API server does with a webhook's caBundle.
 */
export function requestOverTls(
  url: string,
  options: {
    readonly ca: string;
    readonly method?: string;
    readonly path: string;
    readonly body?: string | Buffer;
    readonly headers?: Readonly<Record<string, string>>;
    readonly servername?: string;
  },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(options.path, url),
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        servername: options.servername ?? WEBHOOK_TEST_NAME,
        agent: false,
        headers: options.headers,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`no answer from ${url}${options.path} within 30 s`));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Which resource an object is, as an AdmissionReview request names it. */
export type ReviewedResource = {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
};

export const POD_RESOURCE: ReviewedResource = { group: '', version: 'v1', kind: 'Pod', resource: 'pods' };

/**
 * An `admission.k8s.io/v1` AdmissionReview (CREATE in namespace default, a fresh uid) around
 * `object`; `request` fields in `extra` override or add to it.
 */
export function admissionReviewOf(
  object: Readonly<Record<string, unknown>>,
  resource: ReviewedResource,
  extra: Readonly<Record<string, unknown>> = {},
): { uid: string; body: string } {
  const uid = randomUUID();
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: resource.group, version: resource.version, kind: resource.kind },
      resource: { group: resource.group, version: resource.version, resource: resource.resource },
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin' },
      object,
      dryRun: false,
      ...extra,
    },
  });
  return { uid, body };
}

/** A Pod CREATE review with one container per image. */
export function podAdmissionReview(images: readonly string[]): { uid: string; body: string } {
  return admissionReviewOf(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
    },
    POD_RESOURCE,
  );
}

/** POSTs a JSON body over TLS (see {@link requestOverTls}). */
export function postJsonOverTls(url: string, ca: string, path: string, body: string): Promise<HttpsAnswer> {
  return requestOverTls(url, {
    ca,
    method: 'POST',
    path,
    body,
    headers: { 'content-type': 'application/json' },
  });
}

/** The AdmissionReview a webhook answers with, as the tests read it. */
export type AdmissionReviewAnswer = {
  readonly apiVersion: string;
  readonly kind: string;
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly status?: { readonly code: number; readonly message: string };
    readonly warnings?: readonly string[];
    readonly patchType?: string;
    readonly patch?: string;
  };
};

/** The JSONPatch operations in an answer (empty when it sent none). */
export function decodePatch(answer: AdmissionReviewAnswer): unknown[] {
  const patch = answer.response.patch;
  return patch === undefined ? [] : (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown[]);
}
