// The servers the admission entries load: the real HTTPS webhook (startAdmissionServer) with an
// allowlist+tag policy and with a requireSignature policy backed by the registry FactSource, and
// the baseline, a minimal HTTPS fastify endpoint that parses the same JSON body and answers a
// fixed AdmissionReview. All run in the bench runner's process, which is idle while a subject
// process generates the load; one serving certificate from our own CA serves them all.
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { startAdmissionServer, type AdmissionServer } from '../src/webhook/index.js';
import { RegistryClient } from '../src/oci/index.js';
import { parsePolicy, type Policy } from '../src/policy/index.js';
import { createRegistryFactSource, type RegistryFactSource } from '../src/server/facts/index.js';
import { generateCertificateAuthority, issueServingCertificate } from '../src/tls/index.js';
import type { SignedImageRegistry } from './signing-registry.js';

export type AdmissionBench = {
  /** The AdmissionReview every request sends (a Pod CREATE naming the signed image by tag). */
  readonly bodyPath: string;
  readonly baselineUrl: string;
  readonly allowlistUrl: string;
  readonly signatureUrl: string;
  /** Counters of the signature webhook's FactSource (cache hits and misses, lookup errors). */
  factStats(): ReturnType<RegistryFactSource['stats']>;
  close(): Promise<void>;
};

type Review = { response?: { uid?: string; allowed?: boolean; status?: { message?: string } } };

/** One request over HTTPS trusting only our CA: the answer must allow the pod and echo the uid. */
async function checkAnswer(url: string, ca: string, body: Buffer, uid: string): Promise<void> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (out += c));
        res.on('end', () => {
          if (res.statusCode === 200) resolve(out);
          else reject(new Error(`${url} answered ${String(res.statusCode)}: ${out.slice(0, 500)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const review = JSON.parse(text) as Review;
  if (review.response?.uid !== uid || review.response.allowed !== true) {
    throw new Error(`${url} did not admit the bench pod: ${text.slice(0, 500)}`);
  }
}

async function startBaseline(tls: { certPem: string; keyPem: string }): Promise<FastifyInstance> {
  const app = Fastify({
    https: { cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' },
    logger: false,
  });
  app.post('/validate', (req, reply) => {
    const uid = (req.body as { request?: { uid?: unknown } }).request?.uid;
    return reply.send({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: typeof uid === 'string' ? uid : '', allowed: true },
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('the baseline has no port');
  return `https://127.0.0.1:${address.port}/validate`;
}

/**
 * Starts the baseline and both webhooks, writes the request body into `scratch` and checks each
 * endpoint once (which also fills the signature cache).
 */
export async function startAdmissionBench(
  registry: SignedImageRegistry,
  sharedData: string,
  scratch: string,
): Promise<AdmissionBench> {
  // A Pod CREATE as the API server sent it (connaisseur's recorded request), naming the signed
  // image by tag, as a hand-written pod does.
  const review = JSON.parse(
    await readFile(path.join(sharedData, 'admission-review', 'connaisseur', '02_pod.json'), 'utf8'),
  ) as { request: { uid: string; namespace: string; object: { spec: { containers: { image: string }[] } } } };
  for (const c of review.request.object.spec.containers) c.image = registry.reference;
  const body = Buffer.from(JSON.stringify(review));
  const bodyPath = path.join(scratch, 'admission-review.json');
  await writeFile(bodyPath, body);

  const host = registry.reference.split('/')[0] ?? '';
  const allowlist: Policy = parsePolicy(
    [
      'apiVersion: portcullis.dev/v1alpha1',
      'kind: Policy',
      'rules:',
      '  - name: trusted',
      '    kind: allowedRegistries',
      `    registries: ["${host}/bench", ghcr.io/acme, docker.io/library/debian]`,
      '  - name: no-latest',
      '    kind: disallowTags',
      '',
    ].join('\n'),
    'bench-allowlist.yaml',
  );
  const pem = (await readFile(registry.publicKeyPath, 'utf8')).trim().split('\n');
  const signature: Policy = parsePolicy(
    [
      'apiVersion: portcullis.dev/v1alpha1',
      'kind: Policy',
      'rules:',
      '  - name: signed',
      '    kind: requireSignature',
      '    keys:',
      '      - pem: |',
      ...pem.map((l) => `          ${l}`),
      '',
    ].join('\n'),
    'bench-signature.yaml',
  );

  const ca = await generateCertificateAuthority({ commonName: 'portcullis bench CA' });
  const tls = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  // The webhook logs one JSON line per request at info, as deployed; pino still formats it.
  const devNull = createWriteStream('/dev/null');
  const client = new RegistryClient();
  const facts = createRegistryFactSource({ client });
  const started: { close(): Promise<void> }[] = [];
  try {
    const baseline = await startBaseline(tls);
    started.push(baseline);
    const webhook = (policy: Policy, withFacts: boolean): Promise<AdmissionServer> =>
      startAdmissionServer({
        host: '127.0.0.1',
        port: 0,
        tls,
        policy: () => policy,
        ...(withFacts ? { facts } : {}),
        logger: { level: 'info', stream: devNull },
      });
    const allow = await webhook(allowlist, false);
    started.push(allow);
    const signed = await webhook(signature, true);
    started.push(signed);
    const bench: AdmissionBench = {
      bodyPath,
      baselineUrl: urlOf(baseline),
      allowlistUrl: `${allow.url}/validate`,
      signatureUrl: `${signed.url}/validate`,
      factStats: () => facts.stats(),
      close: async () => {
        for (const s of started.reverse()) await s.close();
        await facts.close();
        client.close();
        devNull.end();
      },
    };
    for (const url of [bench.baselineUrl, bench.allowlistUrl, bench.signatureUrl]) {
      await checkAnswer(url, ca.certPem, body, review.request.uid);
    }
    return bench;
  } catch (err) {
    for (const s of started.reverse()) await s.close();
    await facts.close();
    client.close();
    throw err;
  }
}
