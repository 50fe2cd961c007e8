import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestImages, pushLayoutTag, runCommand, writeAuthFile } from '../testing/oci-images.js';
import { repoRoot, sharedData } from '../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { runCliCaptured } from '../testing/cli.js';
import { webhookTestCertificates } from '../testing/admission-webhook.js';
import { COMMAND_NAMES } from './run.js';

const cli = (argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCliCaptured(argv, work, opts);

const SECRET = 'Zq8sLr0pW4nVt2Hx9KdB';
let work: string;
let layout: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-cli-'));
  layout = path.join(work, 'layout');
  await buildTestImages(layout, [{ tag: 'app', files: { 'app/run.sh': '#!/bin/sh\necho hi\n' } }], work);
  await runCommand('umoci', [
    'config',
    '--image',
    `${layout}:app`,
    '--config.user',
    '10001',
    '--config.entrypoint',
    '/app/run.sh',
    '--config.env',
    `DB_PASSWORD=${SECRET}`,
    '--config.env',
    'LANG=C.UTF-8',
    '--config.label',
    'org.opencontainers.image.source=https://example.com/app',
  ]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('portcullis (no command)', () => {
  it.each([
    [[], 2, /Usage: portcullis/],
    [['--help'], 0, /inspect <target>/],
    [['--version'], 0, /^\d+\.\d+\.\d+/],
  ])('%j exits %i', async (argv, code, out) => {
    const r = await cli(argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toMatch(out);
  });

  it('lists exactly the commands it dispatches on in its help', async () => {
    const r = await cli(['--help']);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z][\w-]*) /gm)].map((m) => m[1]);
    expect(listed).toEqual(COMMAND_NAMES);
  });

  // Commands are imported on first use, so a module that fails to load would only show up when
  // that command runs.
  it.each(COMMAND_NAMES.map((n) => [n]))('loads %s and prints its usage for --help', async (name) => {
    const r = await cli([name, '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: portcullis ${name}\\b`));
  });

  it.each([['constructor'], ['__proto__'], ['toString']])(
    'treats the inherited property name %s as an unknown command',
    async (name) => {
      const r = await cli([name]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown command "${name}"`);
    },
  );

  it('names an unknown command and exits 2', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('portcullis inspect', () => {
  it('shows reference, digest, platform, config and layers of an OCI layout image', async () => {
    const r = await cli(['inspect', `oci:${layout}:app`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Reference: +oci:.*:app@sha256:[a-f0-9]{64}$/m);
    expect(r.stdout).toMatch(/^Digest: +sha256:[a-f0-9]{64}$/m);
    expect(r.stdout).toMatch(/^Platform: +linux\/amd64$/m);
    expect(r.stdout).toMatch(/^User: +10001$/m);
    expect(r.stdout).toMatch(/^Entrypoint: +\["\/app\/run.sh"\]$/m);
    expect(r.stdout).toContain('LANG=C.UTF-8');
    expect(r.stdout).toContain('org.opencontainers.image.source=https://example.com/app');
    expect(r.stdout).toMatch(/^Layers: 1, /m);
    expect(r.stdout).toContain('umoci');
  });

  it.each([['table'], ['json']])('redacts secret-looking env values in %s output', async (format) => {
    const r = await cli(['inspect', `oci:${layout}:app`, '--format', format]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('DB_PASSWORD=Zq8****');
  });

  it('prints JSON with the same facts', async () => {
    const r = await cli(['inspect', `oci:${layout}:app`, '--format', 'json']);
    const j = JSON.parse(r.stdout) as {
      digest: string;
      config: { user: string; digest: string };
      layers: { digest: string; diffID: string; size: number; createdBy: string }[];
    };
    expect(j.digest).toMatch(/^sha256:/);
    expect(j.config.user).toBe('10001');
    expect(j.layers).toHaveLength(1);
    expect(j.layers[0]?.diffID).toMatch(/^sha256:/);
  });

  it('reads a gzip-compressed docker save archive (trivy alpine 3.10)', async () => {
    const r = await cli([
      'inspect',
      `docker-archive:${sharedData('image-fixtures/trivy-test-images/alpine-310.tar.gz')}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4');
    expect(r.stdout).toContain('(none: this archive format stores no manifest)');
  });

  it.each([
    [['inspect'], 2, /exactly one target/],
    [['inspect', 'a', 'b'], 2, /exactly one target/],
    [['inspect', `oci:/nonexistent`, '--format', 'xml'], 2, /unknown --format "xml"/],
    [['inspect', 'docker://Bad Name'], 2, /Bad Name/],
    [['inspect', 'x', '--frobnicate'], 2, /Unknown option '--frobnicate'/],
    [['inspect', 'x', '--platform', 'linux'], 2, /invalid platform "linux"/],
    [['inspect', 'x', '--username', 'u'], 2, /--username needs --password-stdin/],
    [['inspect', 'oci:/nonexistent/layout'], 2, /nonexistent/],
  ])('%j exits %i with a clear message', async (argv, code, message) => {
    const r = await cli(argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
  });

  it('refuses a password in the arguments without echoing it', async () => {
    const r = await cli(['inspect', 'x', `--password=${SECRET}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--password-stdin');
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });
});

describe('portcullis inspect docker:// with credentials', () => {
  let registry: TestRegistry;
  let ref: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    const authFile = path.join(work, 'skopeo-auth.json');
    await writeAuthFile(authFile, registry.host, registry.username ?? '', registry.password ?? '');
    ref = `${registry.host}/team/app:1.0`;
    await pushLayoutTag(layout, 'app', ref, { authFile });
  }, 120_000);
  afterAll(async () => {
    await registry.stop();
  });

  it('takes the password from stdin with --username/--password-stdin and never prints it', async () => {
    const r = await cli(
      ['inspect', `docker://${ref}`, '--username', registry.username ?? '', '--password-stdin'],
      {
        stdin: `${registry.password ?? ''}\n`,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Reference:    ${ref}@sha256:`);
    expect(r.stdout + r.stderr).not.toContain(registry.password);
  });

  it('exits 4 on a wrong password, naming the registry but not the password', async () => {
    const wrong = 'not-the-password-5c1e';
    const r = await cli(['inspect', ref, '--username', registry.username ?? '', '--password-stdin'], {
      stdin: wrong,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(registry.host);
    expect(r.stderr).not.toContain(wrong);
  });

  it('uses a docker-credential helper named by credsStore in Docker config.json, password never in argv', async () => {
    const bin = path.join(work, 'bin');
    const dockerConfig = path.join(work, 'docker');
    const argvLog = path.join(work, 'helper-argv.log');
    await mkdir(bin, { recursive: true });
    await mkdir(dockerConfig, { recursive: true });
    const helper = path.join(bin, 'docker-credential-pctest');
    await writeFile(
      helper,
      `#!/bin/sh\necho "$0 $*" >> '${argvLog}'\nread server\nprintf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$server" "$PC_USER" "$PC_PASS"\n`,
    );
    await chmod(helper, 0o755);
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ credsStore: 'pctest' }));
    const r = await cli(['inspect', ref], {
      env: {
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
        DOCKER_CONFIG: dockerConfig,
        PC_USER: registry.username,
        PC_PASS: registry.password,
      },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const log = await readFile(argvLog, 'utf8');
    expect(log).toContain('docker-credential-pctest get');
    expect(log).not.toContain(registry.password);
  });
});

describe('the portcullis bin', () => {
  const main = path.join(repoRoot, 'dist', 'cli', 'main.js');
  let built: Promise<unknown> | undefined;
  const build = () =>
    (built ??= runCommand('npx', ['tsc', '-p', path.join(repoRoot, 'tsconfig.build.json')]));

  it('runs from dist and exits with the command status', async () => {
    await build();
    const target = path.join(work, 'bin-copy.tar');
    await copyFile(sharedData('image-fixtures/stereoscope/valid-oci.tar'), target);
    const { stdout } = await promisify(execFile)(process.execPath, [
      main,
      'inspect',
      `oci-archive:${target}`,
    ]);
    expect(stdout).toMatch(/^Config: +sha256:61ee19e869a5/m);
    await expect(promisify(execFile)(process.execPath, [main, 'inspect'])).rejects.toMatchObject({ code: 2 });
  });

  it('drains and exits 0 on SIGTERM while serving the admission webhook', async () => {
    await build();
    const dir = await mkdtemp(path.join(work, 'serve-'));
    const { serving } = await webhookTestCertificates();
    await writeFile(path.join(dir, 'tls.crt'), serving.certPem);
    await writeFile(path.join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    await writeFile(path.join(dir, 'portcullis.yaml'), 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n');
    const child = spawn(
      process.execPath,
      [
        main,
        'admission',
        'serve',
        '--tls-cert',
        'tls.crt',
        '--tls-key',
        'tls.key',
        '--listen',
        '127.0.0.1:0',
      ],
      {
        cwd: dir,
        env: { ...process.env, PORTCULLIS_DB: path.join(dir, 'none.db') },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('listening on')) resolve();
      });
      void exited.then(() => {
        reject(new Error(`exited before listening: ${stderr}`));
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopping: draining');
  });
});
