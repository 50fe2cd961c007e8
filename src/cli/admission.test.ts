import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { errorMessage, isPortcullisError, silentLogger } from '../core/index.js';
import {
  podAdmissionReview,
  requestOverTls,
  type AdmissionReviewAnswer,
} from '../testing/admission-webhook.js';
import { captureCliIO, runCommandCaptured } from '../testing/cli.js';
import { runAdmissionServe } from './commands/admission-serve.js';
import { ADMISSION_SUBCOMMANDS, defaultWebhookImage, runAdmission } from './commands/admission.js';
import { exitCodeFor } from './exit-codes.js';
import { writeLine } from './io.js';

// runAdmission is called directly (runCommandCaptured): `admission` is registered in run.ts by
// the lead, after which runCliCaptured reaches the same function.

const repo = path.resolve(import.meta.dirname, '..', '..');
const examplePolicy = path.join(repo, 'examples', 'portcullis.yaml');

type Json = Record<string, unknown>;

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'portcullis-admission-'));
}

/** A directory holding ./portcullis.yaml, the default policy file. */
function dirWithPolicy(): string {
  const dir = tempDir();
  copyFileSync(examplePolicy, path.join(dir, 'portcullis.yaml'));
  return dir;
}

async function run(argv: readonly string[], cwd: string) {
  return runCommandCaptured(runAdmission, argv, { cwd });
}

function objectsOf(yaml: string): Json[] {
  // As kubectl reads it: YAML 1.1.
  return parseAllDocuments(yaml, { version: '1.1' }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Json;
  });
}

function kind(objects: readonly Json[], k: string): Json {
  const o = objects.find((x) => x['kind'] === k);
  if (o === undefined) throw new Error(`no ${k} in the output`);
  return o;
}

type Webhook = {
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: { caBundle: string; service: { name: string; namespace: string } };
};

function webhookOf(objects: readonly Json[], k: string): Webhook {
  return (kind(objects, k)['webhooks'] as Webhook[])[0] as Webhook;
}

type Container = { image: string; args: string[] };
function containerOf(objects: readonly Json[]): Container {
  const spec = (kind(objects, 'Deployment')['spec'] as { template: { spec: { containers: Container[] } } })
    .template.spec;
  return spec.containers[0] as Container;
}

const fromBase64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function secretPair(objects: readonly Json[]): { cert: string; key: string } {
  const data = kind(objects, 'Secret')['data'] as Record<string, string>;
  return { cert: fromBase64(data['tls.crt'] ?? ''), key: fromBase64(data['tls.key'] ?? '') };
}

/** Stderr must never carry the key: neither its PEM nor its base64 form in the Secret. */
function expectNoKey(stderr: string, objects: readonly Json[]): void {
  const data = kind(objects, 'Secret')['data'] as Record<string, string>;
  expect(stderr).not.toContain('PRIVATE KEY');
  expect(stderr).not.toContain((data['tls.key'] ?? 'missing').slice(0, 40));
  const keyBody = secretPair(objects).key.split('\n')[1] ?? 'missing';
  expect(stderr).not.toContain(keyBody.slice(0, 40));
}

describe('portcullis admission manifests', () => {
  it('prints ready-to-apply YAML with the policy from ./portcullis.yaml and the defaults', async () => {
    const cwd = dirWithPolicy();
    const r = await run(['manifests', '--namespace', 'portcullis-system'], cwd);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const objects = objectsOf(r.stdout);
    expect(objects.map((o) => o['kind'])).toContain('MutatingWebhookConfiguration');
    expect(kind(objects, 'ConfigMap')['data']).toEqual({
      'portcullis.yaml': readFileSync(examplePolicy, 'utf8'),
    });
    expect(containerOf(objects).image).toBe(defaultWebhookImage());
    const hook = webhookOf(objects, 'ValidatingWebhookConfiguration');
    expect(hook).toMatchObject({
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      clientConfig: { service: { name: 'portcullis-admission', namespace: 'portcullis-system' } },
    });
    expectNoKey(r.stderr, objects);
  });

  it('applies --name, --image, --policy, --failure-policy, --timeout-seconds and --no-mutating', async () => {
    const cwd = tempDir();
    const r = await run(
      [
        'manifests',
        '--namespace',
        'gate',
        '--name',
        'images',
        '--image',
        'registry.example/portcullis@sha256:' + 'a'.repeat(64),
        '--policy',
        examplePolicy,
        '--failure-policy',
        'Ignore',
        '--timeout-seconds',
        '5',
        '--no-mutating',
      ],
      cwd,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const objects = objectsOf(r.stdout);
    expect(objects.map((o) => o['kind'])).not.toContain('MutatingWebhookConfiguration');
    const hook = webhookOf(objects, 'ValidatingWebhookConfiguration');
    expect(hook).toMatchObject({
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      clientConfig: { service: { name: 'images', namespace: 'gate' } },
    });
    const container = containerOf(objects);
    expect(container.image).toBe(`registry.example/portcullis@sha256:${'a'.repeat(64)}`);
    const deadline = Number(container.args[container.args.indexOf('--deadline-ms') + 1]);
    expect(deadline).toBeLessThan(5000);
    expect(deadline).toBeGreaterThan(0);
    expect(r.stdout).toContain('fail OPEN');
  });

  it('keeps a namespace called "y" a string for kubectl (YAML 1.1), with a certificate for it', async () => {
    const r = await run(['manifests', '--namespace', 'y'], dirWithPolicy());
    expect(r.code).toBe(0);
    const objects = objectsOf(r.stdout);
    for (const o of objects.slice(0, 6)) expect((o['metadata'] as Json)['namespace']).toBe('y');
    expect(webhookOf(objects, 'ValidatingWebhookConfiguration').clientConfig.service.namespace).toBe('y');
  });

  it('writes --output atomically with mode 0600 and says so without printing the key', async () => {
    const cwd = dirWithPolicy();
    const r = await run(['manifests', '--namespace', 'portcullis', '--output', 'webhook.yaml'], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^wrote webhook\.yaml: 8 objects for namespace portcullis; it holds the webhook's private key \(mode 0600\)\n$/,
    );
    const file = path.join(cwd, 'webhook.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const objects = objectsOf(readFileSync(file, 'utf8'));
    expectNoKey(r.stderr, objects);
    expect(secretPair(objects).key).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('makes a new CA and key on every run', async () => {
    const cwd = dirWithPolicy();
    const a = objectsOf((await run(['manifests', '--namespace', 'p'], cwd)).stdout);
    const b = objectsOf((await run(['manifests', '--namespace', 'p'], cwd)).stdout);
    expect(secretPair(a).key).not.toBe(secretPair(b).key);
    expect(webhookOf(a, 'ValidatingWebhookConfiguration').clientConfig.caBundle).not.toBe(
      webhookOf(b, 'ValidatingWebhookConfiguration').clientConfig.caBundle,
    );
  });

  it.each<[string, string[], number, RegExp]>([
    ['no --namespace', ['manifests'], 2, /needs --namespace NS/],
    [
      'a namespace that is not a DNS label',
      ['manifests', '--namespace', 'Team_A'],
      2,
      /namespace "Team_A" is not a DNS label.*\[ADMISSION_MANIFESTS_INVALID\]/,
    ],
    [
      '--failure-policy Deny',
      ['manifests', '--namespace', 'p', '--failure-policy', 'Deny'],
      2,
      /--failure-policy must be Fail or Ignore/,
    ],
    [
      '--timeout-seconds 31',
      ['manifests', '--namespace', 'p', '--timeout-seconds', '31'],
      2,
      /timeoutSeconds must be a whole number from 1 to 30/,
    ],
    [
      '--timeout-seconds 2.5',
      ['manifests', '--namespace', 'p', '--timeout-seconds', '2.5'],
      2,
      /--timeout-seconds must be a whole number/,
    ],
    [
      'an image that is not a reference',
      ['manifests', '--namespace', 'p', '--image', 'Not An Image'],
      2,
      /image "Not An Image" is not an image reference/,
    ],
  ])('refuses %s (exit %i)', async (_what, argv, code, message) => {
    const r = await runAdmissionOrError(argv, dirWithPolicy());
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
  });

  it('without --policy and without ./portcullis.yaml tells to pass --policy (exit 3)', async () => {
    const r = await runAdmissionOrError(['manifests', '--namespace', 'p'], tempDir());
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no --policy given and no portcullis\.yaml in .*: pass --policy FILE/);
    expect(r.code).toBe(3);
  });

  it('refuses an invalid policy, naming the file and line (exit 2), and prints nothing', async () => {
    const cwd = tempDir();
    const text = readFileSync(examplePolicy, 'utf8').replace(/^apiVersion: .*$/m, '$&\nrulez: []');
    writeFileSync(path.join(cwd, 'team.yaml'), text);
    const line = text.split('\n').indexOf('rulez: []') + 1;
    const r = await runAdmissionOrError(['manifests', '--namespace', 'p', '--policy', 'team.yaml'], cwd);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`team.yaml:${line}:1: rulez: unknown key "rulez"`);
    expect(r.code).toBe(2);
  });

  it('lists its subcommands and refuses an unknown one', async () => {
    expect(Object.keys(ADMISSION_SUBCOMMANDS)).toEqual(['manifests', 'serve']);
    const help = await run(['--help'], tempDir());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('portcullis admission manifests --namespace NS');
    const r = await runAdmissionOrError(['manifest'], tempDir());
    expect(r.stderr).toMatch(/unknown admission subcommand "manifest"; expected manifests or serve/);
    expect(r.code).toBe(2);
  });
});

/**
 * What runCli does with an error a command throws (src/cli/run.ts): message and code on stderr,
 * exit code from the shared table. Used until `admission` is registered there.
 */
async function runAdmissionOrError(argv: readonly string[], cwd: string) {
  const c = captureCliIO({ cwd });
  let code: number;
  try {
    code = await runAdmission([...argv], c.io, silentLogger);
  } catch (err) {
    writeLine(
      c.io.stderr,
      `portcullis: ${errorMessage(err)} [${isPortcullisError(err) ? err.code : 'INTERNAL'}]`,
    );
    code = exitCodeFor(err);
  }
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('portcullis admission manifests: the webhook served with them, as the API server calls it', () => {
  let objects: Json[];
  let other: Json[];
  let server: { url: string; close(): Promise<void> };
  const serviceName = 'portcullis-admission.portcullis.svc';

  beforeAll(async () => {
    const cwd = dirWithPolicy();
    objects = objectsOf((await run(['manifests', '--namespace', 'portcullis'], cwd)).stdout);
    other = objectsOf((await run(['manifests', '--namespace', 'portcullis'], cwd)).stdout);
    // The server as the pod runs it: `admission serve` with the Deployment's args, the Secret and
    // the ConfigMap written where the volume mounts put them (under a temporary root), and the
    // listen address moved to loopback.
    const { cert, key } = secretPair(objects);
    const root = tempDir();
    const args = containerOf(objects).args.map((a) =>
      a.startsWith('/etc/portcullis/') ? path.join(root, a) : a === '0.0.0.0:8443' ? '127.0.0.1:0' : a,
    );
    expect(args.slice(0, 2)).toEqual(['admission', 'serve']);
    const mounted = (flag: string) => args[args.indexOf(flag) + 1] ?? '';
    mkdirSync(path.dirname(mounted('--tls-cert')), { recursive: true });
    mkdirSync(path.dirname(mounted('--policy')), { recursive: true });
    writeFileSync(mounted('--tls-cert'), cert);
    writeFileSync(mounted('--tls-key'), key, { mode: 0o600 });
    writeFileSync(
      mounted('--policy'),
      String((kind(objects, 'ConfigMap')['data'] as Json)['portcullis.yaml']),
    );
    const stop = new AbortController();
    const io = captureCliIO({
      cwd: root,
      env: { PORTCULLIS_DB: path.join(root, 'none.db') },
      stop: stop.signal,
    });
    const running = runAdmissionServe(args.slice(2), io.io, silentLogger);
    const until = Date.now() + 20_000;
    let url: string | undefined;
    while (url === undefined && Date.now() < until) {
      url = /listening on (\S+)/.exec(io.stderr())?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    if (url === undefined) throw new Error(`admission serve did not start: ${io.stderr()}`);
    server = {
      url,
      close: async () => {
        stop.abort();
        expect(await running).toBe(0);
      },
    };
  });

  afterAll(async () => {
    await server.close();
  });

  const caBundleOf = (o: readonly Json[], k: string) => fromBase64(webhookOf(o, k).clientConfig.caBundle);

  it.each(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])(
    'a client trusting only the %s caBundle connects to the Service name',
    async (k) => {
      const r = await requestOverTls(server.url, {
        ca: caBundleOf(objects, k),
        path: '/readyz',
        servername: serviceName,
      });
      expect(r.status).toBe(200);
    },
  );

  it.each([
    'portcullis-admission.portcullis.svc.cluster.local',
    'portcullis-admission.portcullis',
    'portcullis-admission',
  ])('the certificate also holds %s', async (name) => {
    const ca = caBundleOf(objects, 'ValidatingWebhookConfiguration');
    expect((await requestOverTls(server.url, { ca, path: '/healthz', servername: name })).status).toBe(200);
  });

  it('judges an AdmissionReview on /validate with the embedded policy', async () => {
    const ca = caBundleOf(objects, 'ValidatingWebhookConfiguration');
    const review = podAdmissionReview(['docker.io/library/nginx:latest']);
    const r = await requestOverTls(server.url, {
      ca,
      servername: serviceName,
      method: 'POST',
      path: '/validate',
      body: review.body,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
    const answer = JSON.parse(r.text) as AdmissionReviewAnswer;
    expect(answer.response).toMatchObject({ uid: review.uid, allowed: false });
    expect(answer.response.status?.message).toContain('no-latest');
  });

  it('fails with the caBundle of another run', async () => {
    const ca = caBundleOf(other, 'ValidatingWebhookConfiguration');
    await expect(
      requestOverTls(server.url, { ca, path: '/healthz', servername: serviceName }),
    ).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('fails for a name the certificate does not hold', async () => {
    const ca = caBundleOf(objects, 'ValidatingWebhookConfiguration');
    await expect(
      requestOverTls(server.url, { ca, path: '/healthz', servername: 'portcullis-admission.other.svc' }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});
