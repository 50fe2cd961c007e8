import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../core/index.js';
import { generateSigningKey, formatSigningKeyPem } from '../registry/index.js';
import { sharedData } from '../testing/fixtures.js';
import { captureCliIO, runCliCaptured, runCommandCaptured } from '../testing/cli.js';
import { buildTestImages, layoutDescriptor, pushLayoutTag, runCommand } from '../testing/oci-images.js';
import { selfSignedCertificate } from '../testing/token-issuer.js';
import { isLoopbackHost, runServe } from './commands/serve.js';
import { openVulnDb } from '../vulndb/index.js';
import { UsageError } from './io.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-serve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function waitFor(probe: () => string | undefined, what: string): Promise<string> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** Starts `serve` on a free loopback port with data in `dir`/`dataDir`; resolves once it listens. */
async function startServe(dir: string, env: NodeJS.ProcessEnv = {}, dataDir = 'data', extra: string[] = []) {
  return startServeWith(dir, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extra], env);
}

const POLICY_HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';

/** Starts `serve` with exactly `argv` in `dir`; resolves once it listens. */
async function startServeWith(dir: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stop = new AbortController();
  const c = captureCliIO({ cwd: dir, stop: stop.signal, env });
  const running = runServe(argv, c.io, createMemoryLogger());
  const url = await waitFor(
    () => /listening on (https?:\/\/\S+)/.exec(c.stderr())?.[1],
    'the listening line',
  );
  return { stop, running, url, host: new URL(url).host, stderr: () => c.stderr() };
}

describe('portcullis serve', () => {
  it('serves the registry from the data directory, keeps what was pushed across a restart, and stops on the signal', async () => {
    const dir = await mkdtemp(path.join(work, 'run-'));
    const layout = path.join(dir, 'layout');
    await buildTestImages(layout, [{ tag: 'v1', files: { 'app.txt': 'served\n' } }], dir);
    const pushed = await layoutDescriptor(layout, 'v1');

    // A test-only password, given the way an operator would: through the environment.
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const startServer = () => startServe(dir, { PORTCULLIS_ADMIN_PASSWORD: password });

    const first = await startServer();
    const authFile = path.join(dir, 'auth.json');
    const auth = Buffer.from(`admin:${password}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [first.host]: { auth } } }), { mode: 0o600 });
    await expect(pushLayoutTag(layout, 'v1', `${first.host}/team/app:v1`)).rejects.toThrow();
    await pushLayoutTag(layout, 'v1', `${first.host}/team/app:v1`, { authFile });
    first.stop.abort();
    expect(await first.running).toBe(0);
    expect(first.stderr()).toContain('stopping');
    expect(first.stderr()).toContain('created the system administrator "admin"');
    expect(first.stderr()).not.toContain(password);
    expect((await stat(path.join(dir, 'data', 'registry.db'))).isFile()).toBe(true);
    const keyFile = path.join(dir, 'data', 'token-key.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = await readFile(keyFile, 'utf8');

    const second = await startServer();
    try {
      expect(second.stderr()).not.toContain('created the system administrator');
      expect(await readFile(keyFile, 'utf8')).toBe(key);
      const secondAuth = path.join(dir, 'auth2.json');
      await writeFile(secondAuth, JSON.stringify({ auths: { [second.host]: { auth } } }), { mode: 0o600 });
      const raw = await runCommand('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--authfile',
        secondAuth,
        `docker://${second.host}/team/app:v1`,
      ]);
      expect(JSON.parse(raw)).toMatchObject({ schemaVersion: 2 });
      const out = path.join(dir, 'pulled');
      await runCommand('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        '--src-authfile',
        secondAuth,
        `docker://${second.host}/team/app:v1`,
        `oci:${out}:v1`,
      ]);
      expect((await layoutDescriptor(out, 'v1')).digest).toBe(pushed.digest);
    } finally {
      second.stop.abort();
      expect(await second.running).toBe(0);
    }
  });

  it('creates admin with a random password printed once when PORTCULLIS_ADMIN_PASSWORD is unset', async () => {
    const dir = await mkdtemp(path.join(work, 'random-'));
    const start = () => startServe(dir);
    const first = await start();
    let password = '';
    try {
      password = /shown only this once\): (\S+)/.exec(first.stderr())?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(16);
      const ok = await fetch(`${first.url}/v2/`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
      });
      expect(ok.status).toBe(200);
      const anonymous = await fetch(`${first.url}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe(
        `Bearer realm="${first.url}/token",service="portcullis"`,
      );
    } finally {
      first.stop.abort();
      expect(await first.running).toBe(0);
    }
    const second = await startServe(dir, {}, 'data', ['--token-realm', 'https://registry.example/token']);
    try {
      expect(second.stderr()).not.toContain(password);
      const challenge = (await fetch(`${second.url}/v2/`)).headers.get('www-authenticate');
      expect(challenge).toBe('Bearer realm="https://registry.example/token",service="portcullis"');
    } finally {
      second.stop.abort();
      expect(await second.running).toBe(0);
    }
  });

  it('serves HTTPS with --tls-cert and --tls-key, which go together', async () => {
    const dir = await mkdtemp(path.join(work, 'tls-'));
    const key = generateSigningKey();
    const { certPath, certPem } = await selfSignedCertificate(key, dir, 'localhost');
    const keyPath = path.join(dir, 'tls-key.pem');
    await writeFile(keyPath, formatSigningKeyPem(key), { mode: 0o600 });
    await expect(
      runCommandCaptured(runServe, ['--listen', '0.0.0.0:5000', '--tls-cert', certPath], { cwd: dir }),
    ).rejects.toThrow(/go together/);
    await expect(
      runCommandCaptured(runServe, ['--tls-cert', certPath, '--tls-key', path.join(dir, 'missing.pem')], {
        cwd: dir,
      }),
    ).rejects.toThrow(/cannot read --tls-key/);

    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const s = await startServe(dir, { PORTCULLIS_ADMIN_PASSWORD: password }, 'data', [
      '--tls-cert',
      certPath,
      '--tls-key',
      keyPath,
    ]);
    try {
      expect(s.url).toMatch(/^https:\/\//);
      // Verified TLS: the test certificate is trusted and its name (localhost) checked.
      const res = await new Promise<{ status: number; challenge: string }>((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port: new URL(s.url).port,
              path: '/v2/',
              ca: certPem,
              servername: 'localhost',
            },
            (r) => {
              r.resume();
              resolve({ status: r.statusCode ?? 0, challenge: String(r.headers['www-authenticate']) });
            },
          )
          .on('error', reject);
      });
      expect(res.status).toBe(401);
      expect(res.challenge).toContain(`realm="https://${s.host}/token"`);
      // The port speaks TLS only, so skopeo's push (token flow included) went over HTTPS.
      const layout = path.join(dir, 'layout');
      await buildTestImages(layout, [{ tag: 'v1', files: { 'tls.txt': 'tls\n' } }], dir);
      const authFile = path.join(dir, 'auth.json');
      const auth = Buffer.from(`admin:${password}`).toString('base64');
      await writeFile(authFile, JSON.stringify({ auths: { [s.host]: { auth } } }), { mode: 0o600 });
      await pushLayoutTag(layout, 'v1', `${s.host}/team/tls:v1`, { authFile });
    } finally {
      s.stop.abort();
      expect(await s.running).toBe(0);
    }
  });

  it('refuses plain HTTP on a non-loopback listen address', async () => {
    await expect(runCommandCaptured(runServe, ['--listen', '0.0.0.0:5000'], { cwd: work })).rejects.toThrow(
      /over plain HTTP/,
    );
    // Explicitly allowed, it goes on to listen: 192.0.2.1 (TEST-NET-1) is on no interface here,
    // so the listen fails instead of opening a port to the network.
    const allowed = await runCommandCaptured(
      runServe,
      ['--listen', '192.0.2.1:5000', '--allow-plain-http', '--data-dir', 'plain'],
      { cwd: work },
    );
    expect(allowed.code).toBe(7);
    expect(allowed.stderr).toContain('cannot listen');
    await expect(
      runCommandCaptured(runServe, ['--listen', '192.168.1.10:5000'], { cwd: work }),
    ).rejects.toBeInstanceOf(UsageError);
  });

  it('says so when it cannot listen', async () => {
    const { stop, running, url } = await startServe(work, {}, 'busy');
    const port = new URL(url).port;
    const second = await runCommandCaptured(
      runServe,
      ['--listen', `127.0.0.1:${port}`, '--data-dir', 'busy2'],
      {
        cwd: work,
      },
    );
    expect(second.code).toBe(7);
    expect(second.stderr).toContain('cannot listen');
    stop.abort();
    expect(await running).toBe(0);
  });

  it('takes listen, dataDir, service, tokenRealm, vulnerabilityDb and scan from --config, paths relative to the file; flags win', async () => {
    const dir = await mkdtemp(path.join(work, 'config-'));
    const etc = path.join(dir, 'etc');
    await mkdir(etc);
    const config = path.join(etc, 'portcullis.yaml');
    await writeFile(
      config,
      `${POLICY_HEAD}server:\n  listen: 127.0.0.1:0\n  dataDir: state\n  service: registry.example\n` +
        '  tokenRealm: https://registry.example/token\n  vulnerabilityDb: db/vuln.db\n  scan: { concurrency: 3 }\n',
    );
    await mkdir(path.join(etc, 'db'));
    openVulnDb(path.join(etc, 'db', 'vuln.db')).close();
    // No --listen or --data-dir: both come from the file (the data directory beside it, not in cwd).
    const fromFile = await startServeWith(dir, ['--config', 'etc/portcullis.yaml']);
    try {
      expect(fromFile.stderr()).toContain(`(data in ${path.join(etc, 'state')})`);
      expect(fromFile.stderr()).toContain(
        `scanning pushed images against ${path.join(etc, 'db', 'vuln.db')} (3 at once)`,
      );
      expect((await stat(path.join(etc, 'state', 'registry.db'))).isFile()).toBe(true);
      await expect(stat(path.join(dir, '.portcullis'))).rejects.toThrow();
      const challenge = (await fetch(`${fromFile.url}/v2/`)).headers.get('www-authenticate');
      expect(challenge).toBe('Bearer realm="https://registry.example/token",service="registry.example"');
    } finally {
      fromFile.stop.abort();
      expect(await fromFile.running).toBe(0);
    }
    const flags = await startServeWith(dir, [
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      'other',
      '--service',
      'flagged',
      '--token-realm',
      'https://flag.example/token',
    ]);
    try {
      expect(flags.stderr()).toContain(`(data in ${path.join(dir, 'other')})`);
      const challenge = (await fetch(`${flags.url}/v2/`)).headers.get('www-authenticate');
      expect(challenge).toBe('Bearer realm="https://flag.example/token",service="flagged"');
    } finally {
      flags.stop.abort();
      expect(await flags.running).toBe(0);
    }
  });

  it('refuses a config file with an invalid server section, naming the file, line and key', async () => {
    const dir = await mkdtemp(path.join(work, 'bad-config-'));
    const bad = path.join(dir, 'portcullis.yaml');
    await writeFile(
      bad,
      `${POLICY_HEAD}server:\n  listen: 127.0.0.1:0\n  scan:\n    concurrency: 0\n  dataDirectory: x\n`,
    );
    const invalid = await runCliCaptured(['serve', '--config', 'portcullis.yaml'], dir);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${bad}:6:18: server.scan.concurrency:`);
    expect(invalid.stderr).toContain(`${bad}:7:3: server.dataDirectory: unknown key "dataDirectory"`);
    expect(invalid.stderr).toContain('[POLICY_INVALID]');
    // Nothing was started or created.
    await expect(stat(path.join(dir, '.portcullis'))).rejects.toThrow();

    await writeFile(bad, `${POLICY_HEAD}server:\n  listen: localhost\n`);
    const listen = await runCliCaptured(['serve', '--config', bad], dir);
    expect(listen.code).toBe(2);
    expect(listen.stderr).toContain(`${bad}:4:11: server.listen: expects HOST:PORT`);

    await writeFile(
      bad,
      `${POLICY_HEAD}server:\n  listen: 0.0.0.0:5000\n  tls: { cert: missing.pem, key: k.pem }\n`,
    );
    const tls = await runCliCaptured(['serve', '--config', bad], dir);
    expect(tls.code).toBe(2);
    expect(tls.stderr).toContain(
      `${bad}:5:16: server.tls.cert: cannot read ${path.join(dir, 'missing.pem')}: ENOENT`,
    );

    await writeFile(bad, `${POLICY_HEAD}server:\n  listen: 0.0.0.0:5000\n`);
    const plain = await runCliCaptured(['serve', '--config', bad], dir);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('over plain HTTP');

    const missing = await runCliCaptured(['serve', '--config', 'nope.yaml'], dir);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.yaml: policy file not found');
  });

  it('enforces the pull gates and immutable tags of the config file, and reloads them when the file changes', async () => {
    const dir = await mkdtemp(path.join(work, 'gates-'));
    const layout = path.join(dir, 'layout');
    await buildTestImages(
      layout,
      [
        { tag: 'v1', files: { 'app.txt': 'one\n' } },
        { tag: 'v2', files: { 'app.txt': 'two\n' } },
      ],
      dir,
    );
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const config = path.join(dir, 'portcullis.yaml');
    const policyWith = (pull: string) =>
      `${POLICY_HEAD}rules:\n  - name: signed\n    kind: requireSignature\n    keys:\n      - pem: ${JSON.stringify(pem)}\n` +
      `server:\n  listen: 127.0.0.1:0\n  dataDir: data\n  projects:\n    - name: team\n${pull}      immutableTags: ['v*']\n`;
    await writeFile(config, policyWith('      pull: { rules: [signed] }\n'));
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const s = await startServeWith(dir, ['--config', config, '--reload-seconds', '1'], {
      PORTCULLIS_ADMIN_PASSWORD: password,
      PORTCULLIS_DB: path.join(dir, 'no-such.db'),
    });
    try {
      expect(s.stderr()).toContain('pull gates and immutable tags for projects team');
      expect(s.stderr()).toContain('pushed images are not scanned');
      const authFile = path.join(dir, 'auth.json');
      const auth = Buffer.from(`admin:${password}`).toString('base64');
      await writeFile(authFile, JSON.stringify({ auths: { [s.host]: { auth } } }), { mode: 0o600 });
      await pushLayoutTag(layout, 'v1', `${s.host}/team/app:v1`, { authFile });
      const pull = () =>
        fetch(`${s.url}/v2/team/app/manifests/v1`, {
          headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
        });
      const refused = await pull();
      expect(refused.status).toBe(403);
      const body = (await refused.json()) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]?.code).toBe('DENIED');
      expect(body.errors[0]?.message).toMatch(/^pull refused by rule signed: no signature verifies/);
      // v1 may not be moved to another image.
      await expect(pushLayoutTag(layout, 'v2', `${s.host}/team/app:v1`, { authFile })).rejects.toThrow();

      // A broken edit keeps the gates in force...
      await writeFile(config, `${policyWith('      pull: { rules: [signed] }\n')}  nonsense: true\n`);
      await waitFor(() => (s.stderr().includes('not reloaded') ? 'yes' : undefined), 'the refused reload');
      expect(s.stderr()).toMatch(
        /not reloaded, the gates in force stay: \S+portcullis\.yaml:\d+:\d+: server\.nonsense/,
      );
      expect((await pull()).status).toBe(403);
      // ...and a valid one without the pull rule lifts the gate (the tag stays immutable).
      await writeFile(config, policyWith(''));
      await waitFor(() => (s.stderr().includes('reloaded /') ? 'yes' : undefined), 'the reload');
      expect((await pull()).status).toBe(200);
      await expect(pushLayoutTag(layout, 'v2', `${s.host}/team/app:v1`, { authFile })).rejects.toThrow();
    } finally {
      s.stop.abort();
      expect(await s.running).toBe(0);
    }
  });

  it('checks keyless signers in pull gates against the trusted root of --trusted-root or server.trustedRoot, and refuses one it cannot read', async () => {
    const dir = await mkdtemp(path.join(work, 'trusted-root-'));
    await mkdir(path.join(dir, 'etc'));
    await copyFile(
      sharedData('signing', 'cosign-trusted_root_pgi.json'),
      path.join(dir, 'etc', 'trusted_root.json'),
    );
    await writeFile(path.join(dir, 'broken.json'), 'certificateAuthorities: not JSON\n');
    const config = path.join(dir, 'etc', 'portcullis.yaml');
    const policyWith = (trustedRoot: string) =>
      `${POLICY_HEAD}rules:\n  - name: ci\n    kind: requireSignature\n    keyless:\n` +
      '      - issuer: https://token.actions.githubusercontent.com\n' +
      '        subject: https://github.com/example/app/.github/workflows/release.yml@refs/heads/main\n' +
      `server:\n  listen: 127.0.0.1:0\n  dataDir: data\n  trustedRoot: ${trustedRoot}\n` +
      '  projects:\n    - name: team\n      pull: { rules: [ci] }\n';

    // Unreadable or not a trusted root: serve does not start, and says which file.
    await writeFile(config, policyWith('missing.json'));
    const flagged = await runCliCaptured(['serve', '--config', config, '--trusted-root', 'broken.json'], dir);
    const set = await runCliCaptured(['serve', '--config', config], dir);
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toContain(
      `--trusted-root ${path.join(dir, 'broken.json')}: cannot read the trusted root`,
    );
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/portcullis\.yaml:12:16: server\.trustedRoot: \S+missing\.json: cannot read/);
    expect(set.stderr).toContain(path.join(dir, 'etc', 'missing.json'));
    await expect(stat(path.join(dir, 'etc', 'data'))).rejects.toThrow();

    // Relative to the policy file: the keyless rule is checked, and no signature verifies.
    await writeFile(config, policyWith('trusted_root.json'));
    const layout = path.join(dir, 'layout');
    await buildTestImages(layout, [{ tag: 'v1', files: { 'app.txt': 'keyless\n' } }], dir);
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const auth = Buffer.from(`admin:${password}`).toString('base64');
    const env = { PORTCULLIS_ADMIN_PASSWORD: password, PORTCULLIS_DB: path.join(dir, 'no-such.db') };
    const pullMessage = async (url: string) => {
      const res = await fetch(`${url}/v2/team/app/manifests/v1`, {
        headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status).toBe(403);
      return ((await res.json()) as { errors: { message: string }[] }).errors[0]?.message ?? '';
    };
    const s = await startServeWith(dir, ['--config', config, '--reload-seconds', '0'], env);
    try {
      const authFile = path.join(dir, 'auth.json');
      await writeFile(authFile, JSON.stringify({ auths: { [s.host]: { auth } } }), { mode: 0o600 });
      await pushLayoutTag(layout, 'v1', `${s.host}/team/app:v1`, { authFile });
      const message = await pullMessage(s.url);
      expect(message).toMatch(/^pull refused by rule ci: no signature verifies/);
      expect(message).not.toContain('trusted root');
    } finally {
      s.stop.abort();
      expect(await s.running).toBe(0);
    }
    // The flag wins over the setting, even over one naming a file that is not there.
    await writeFile(config, policyWith('missing.json'));
    const f = await startServeWith(
      dir,
      ['--config', config, '--reload-seconds', '0', '--trusted-root', 'etc/trusted_root.json'],
      env,
    );
    try {
      expect(await pullMessage(f.url)).toMatch(/^pull refused by rule ci: no signature verifies/);
    } finally {
      f.stop.abort();
      expect(await f.running).toBe(0);
    }
    // Without any, the keyless signer cannot be checked.
    await writeFile(config, policyWith('trusted_root.json').replace(/ {2}trustedRoot: .*\n/, ''));
    const none = await startServeWith(dir, ['--config', config, '--reload-seconds', '0'], env);
    try {
      expect(await pullMessage(none.url)).toContain('no Sigstore trusted root was configured');
    } finally {
      none.stop.abort();
      expect(await none.running).toBe(0);
    }
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['example.com', false],
  ])('treats %s as loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
