import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../core/index.js';
import {
  postJsonOverTls,
  podAdmissionReview,
  requestOverTls,
  webhookTestCertificates,
  type AdmissionReviewAnswer,
} from '../testing/admission-webhook.js';
import { captureCliIO, runCliCaptured } from '../testing/cli.js';
import { parseListenAddress, runAdmissionServe } from './commands/admission-serve.js';

const NO_LATEST = `apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: no-latest
    kind: disallowTags
`;
const ONLY_GHCR = `apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: ghcr-only
    kind: allowedRegistries
    registries: [ghcr.io/acme/]
`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-admission-serve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Polls `probe` until it returns true; the reload runs on its own clock. */
async function eventually(probe: () => Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe('portcullis admission serve', () => {
  it('serves decisions over HTTPS, reloads a changed policy and certificate, refuses a broken edit, and drains on the stop signal', async () => {
    const dir = await mkdtemp(path.join(work, 'run-'));
    const first = await webhookTestCertificates();
    await writeFile(path.join(dir, 'tls.crt'), first.serving.certPem);
    await writeFile(path.join(dir, 'tls.key'), first.serving.keyPem, { mode: 0o600 });
    await writeFile(path.join(dir, 'portcullis.yaml'), NO_LATEST);

    const stop = new AbortController();
    const c = captureCliIO({
      cwd: dir,
      env: { PORTCULLIS_DB: path.join(dir, 'absent.db') },
      stop: stop.signal,
    });
    const logger = createMemoryLogger();
    const running = runAdmissionServe(
      ['--tls-cert', 'tls.crt', '--tls-key', 'tls.key', '--listen', '127.0.0.1:0', '--reload-seconds', '1'],
      c.io,
      logger,
    );
    let url = '';
    await eventually(() => {
      url = /listening on (https:\/\/\S+)/.exec(c.stderr())?.[1] ?? '';
      return Promise.resolve(url !== '');
    }, 'the listening line');
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+/);
    expect(logger.entries.some((r) => r.msg.includes('no vulnerability database'))).toBe(true);

    const ask = async (image: string, ca = first.ca.certPem) => {
      const r = await postJsonOverTls(url, ca, '/validate', podAdmissionReview([image]).body);
      expect(r.status).toBe(200);
      return (JSON.parse(r.text) as AdmissionReviewAnswer).response;
    };
    const latest = await ask('nginx:latest');
    expect(latest.allowed).toBe(false);
    expect(latest.status?.message).toContain('no-latest');
    expect((await ask('nginx:1.27')).allowed).toBe(true);
    expect((await requestOverTls(url, { ca: first.ca.certPem, path: '/readyz' })).status).toBe(200);
    const metrics = await requestOverTls(url, { ca: first.ca.certPem, path: '/metrics' });
    expect(metrics.text).toContain('portcullis_admission_requests_total');
    expect(metrics.text).toContain('portcullis_admission_cache_lookups');

    // A ConfigMap update: the new policy is in force after the next look.
    await writeFile(path.join(dir, 'portcullis.yaml'), ONLY_GHCR);
    await eventually(
      async () => (await ask('nginx:latest')).status?.message.includes('ghcr-only') === true,
      'the new policy',
    );
    expect((await ask('ghcr.io/acme/app:latest')).allowed).toBe(true);

    // A broken edit is refused and logged; the policy in force stays.
    await writeFile(
      path.join(dir, 'portcullis.yaml'),
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nrules: [{ kind: nope }]\n',
    );
    await eventually(
      () => Promise.resolve(logger.entries.some((r) => r.msg.includes('the changed files were refused'))),
      'the refusal',
    );
    expect((await ask('nginx:1.27')).status?.message).toContain('ghcr-only');

    // A Secret update: a certificate from another CA is served after the next look.
    await writeFile(path.join(dir, 'portcullis.yaml'), ONLY_GHCR);
    const second = await webhookTestCertificates();
    await writeFile(path.join(dir, 'tls.key'), second.serving.keyPem, { mode: 0o600 });
    await writeFile(path.join(dir, 'tls.crt'), second.serving.certPem);
    await eventually(
      () =>
        requestOverTls(url, { ca: second.ca.certPem, path: '/healthz' }).then(
          (r) => r.status === 200,
          () => false,
        ),
      'the new certificate',
    );
    await expect(requestOverTls(url, { ca: first.ca.certPem, path: '/healthz' })).rejects.toThrow();

    stop.abort();
    expect(await running).toBe(0);
    expect(c.stderr()).toContain('stopping: draining');
    await expect(requestOverTls(url, { ca: second.ca.certPem, path: '/healthz' })).rejects.toThrow();
    // The JSON log has one line per decision and never the object.
    const lines = c
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"uid"'));
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(c.stdout()).not.toContain('"containers"');
  });

  it('refuses to start without TLS files, with a bad address, or with an invalid policy', async () => {
    const dir = await mkdtemp(path.join(work, 'bad-'));
    const { serving } = await webhookTestCertificates();
    await writeFile(path.join(dir, 'tls.crt'), serving.certPem);
    await writeFile(path.join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    await writeFile(
      path.join(dir, 'portcullis.yaml'),
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nrules:\n  - name: x\n    kind: nope\n',
    );

    const noTls = await runCliCaptured(['admission', 'serve'], dir);
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toContain('--tls-cert FILE and --tls-key FILE');

    const tls = ['--tls-cert', 'tls.crt', '--tls-key', 'tls.key'];
    const badListen = await runCliCaptured(['admission', 'serve', ...tls, '--listen', 'localhost'], dir);
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toContain('--listen expects HOST:PORT');

    const badPolicy = await runCliCaptured(['admission', 'serve', ...tls, '--listen', '127.0.0.1:0'], dir);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/portcullis\.yaml:5:\d+/);

    const help = await runCliCaptured(['admission', 'serve', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--deadline-ms N');
  });

  it.each([
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:9443', { host: '::1', port: 9443 }],
    ['webhook.local:443', { host: 'webhook.local', port: 443 }],
  ])('reads --listen %s', (value, expected) => {
    expect(parseListenAddress(value)).toEqual(expected);
  });

  it.each(['8443', ':8443', '127.0.0.1:70000', '::1:8443', '127.0.0.1:-1'])(
    'refuses --listen %s',
    (value) => {
      expect(() => parseListenAddress(value)).toThrow(/--listen expects/);
    },
  );
});
