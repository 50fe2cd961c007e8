import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  auditEncryptionConfig,
  buildPullSecret,
  parseEncryptionConfig,
  type PullSecret,
} from '../kube/index.js';
import { runCliCaptured, runCommandCaptured } from '../testing/cli.js';
import { sharedData } from '../testing/fixtures.js';
import { runGen } from './commands/gen.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-gen-'));
});
afterAll(() => {
  execFileSync('rm', ['-rf', dir]);
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'],
  HOME: dir,
  ...extra,
});

function gen(argv: readonly string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  return runCommandCaptured(runGen, argv, {
    cwd: dir,
    env: opts.env ?? env(),
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
  });
}

function firstKeys(file: string): { name: string; secret: string }[] {
  const provider = parseEncryptionConfig(readFileSync(file, 'utf8')).config.resources[0]?.providers[0];
  return provider !== undefined && provider.type !== 'identity' && provider.type !== 'kms'
    ? [...provider.keys]
    : [];
}

describe('gen encryption-config', () => {
  it('writes a 0600 file whose 32-byte key passes our audit with no high finding, printing no key', async () => {
    const file = path.join(dir, 'enc', 'config.yaml');
    const run = await gen(['encryption-config', '--output', file]);
    expect(run.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const loaded = parseEncryptionConfig(readFileSync(file, 'utf8'), file);
    expect(
      auditEncryptionConfig(loaded).filter((f) => f.severity === 'high' || f.severity === 'critical'),
    ).toEqual([]);
    const [key] = firstKeys(file);
    expect(Buffer.from(key?.secret ?? '', 'base64')).toHaveLength(32);
    expect(key?.name).toMatch(/^key-\d{8}$/);
    expect(run.stdout + run.stderr).not.toContain(key?.secret);
    expect(run.stdout).toContain('secretbox key');
  });

  it.each(['aesgcm', 'aescbc'])('%s: a 32-byte key and no high finding', async (provider) => {
    const file = path.join(dir, `${provider}.yaml`);
    expect((await gen(['encryption-config', '--provider', provider, '--output', file])).code).toBe(0);
    const loaded = parseEncryptionConfig(readFileSync(file, 'utf8'));
    expect(loaded.config.resources[0]?.providers[0]?.type).toBe(provider);
    expect(Buffer.from(firstKeys(file)[0]?.secret ?? '', 'base64')).toHaveLength(32);
    expect(auditEncryptionConfig(loaded).filter((f) => f.severity === 'high')).toEqual([]);
  });

  it('kms-v2 needs the plugin endpoint and writes a v2 provider', async () => {
    await expect(
      gen(['encryption-config', '--provider', 'kms-v2', '--output', path.join(dir, 'x.yaml')]),
    ).rejects.toThrow(/--kms-endpoint/);
    const file = path.join(dir, 'kms.yaml');
    expect(
      (
        await gen([
          'encryption-config',
          '--provider',
          'kms-v2',
          '--kms-endpoint',
          'unix:///run/kms.sock',
          '--kms-name',
          'vault',
          '--output',
          file,
        ])
      ).code,
    ).toBe(0);
    const loaded = parseEncryptionConfig(readFileSync(file, 'utf8'));
    expect(loaded.config.resources[0]?.providers[0]).toEqual({
      type: 'kms',
      apiVersion: 'v2',
      name: 'vault',
      endpoint: 'unix:///run/kms.sock',
      timeout: '3s',
    });
    expect(auditEncryptionConfig(loaded)).toEqual([]);
  });

  it('refuses to run without --output or --print, so the key is never printed by accident', async () => {
    await expect(gen(['encryption-config'])).rejects.toThrow(/needs --output FILE .*only with --print/);
  });

  it('prints the configuration only with --print', async () => {
    const run = await gen(['encryption-config', '--print']);
    expect(run.code).toBe(0);
    const doc = parse(run.stdout) as { kind: string };
    expect(doc.kind).toBe('EncryptionConfiguration');
    expect(parseEncryptionConfig(run.stdout).config.resources[0]?.providers.map((p) => p.type)).toEqual([
      'secretbox',
      'identity',
    ]);
  });

  it('rotates in place: new key first, old key after it, identity last', async () => {
    const file = path.join(dir, 'rotate.yaml');
    const oldKey = Buffer.alloc(32, 3).toString('base64');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n      - aescbc: {keys: [{name: old, secret: ${oldKey}}]}\n`,
    );
    const run = await gen(['encryption-config', '--rotate-from', file, '--output', file]);
    expect(run.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const providers = parseEncryptionConfig(readFileSync(file, 'utf8')).config.resources[0]?.providers ?? [];
    expect(providers.map((p) => p.type)).toEqual(['secretbox', 'aescbc', 'identity']);
    expect(providers[1]).toEqual({ type: 'aescbc', keys: [{ name: 'old', secret: oldKey }] });
    expect(run.stdout).not.toContain(oldKey);
  });

  it('keeps the provider in use when rotating without --provider, and never demotes KMS', async () => {
    const fixtures = sharedData('lint-audit', 'k8s', 'encryption-config');
    const gcm = await gen([
      'encryption-config',
      '--rotate-from',
      path.join(fixtures, '03-aesgcm-first.yaml'),
      '--print',
    ]);
    const providers = parseEncryptionConfig(gcm.stdout).config.resources[0]?.providers ?? [];
    expect(providers.map((p) => p.type)).toEqual(['aesgcm', 'identity']);
    expect(providers[0]?.type === 'aesgcm' ? providers[0].keys.map((k) => k.name) : []).toEqual([
      expect.stringMatching(/^key-\d{8}$/),
      'key1',
    ]);
    const kms = path.join(fixtures, '05-kms-v2-first.yaml');
    await expect(gen(['encryption-config', '--rotate-from', kms, '--print'])).rejects.toThrow(
      /encrypts Secrets with the KMS v2 provider "myKmsPlugin": rotate its key in the KMS/,
    );
    const replaced = await gen([
      'encryption-config',
      '--rotate-from',
      kms,
      '--provider',
      'secretbox',
      '--print',
    ]);
    expect(parseEncryptionConfig(replaced.stdout).config.resources[0]?.providers.map((p) => p.type)).toEqual([
      'secretbox',
      'kms',
      'identity',
    ]);
  });

  it('will not replace another existing file without --force', async () => {
    const file = path.join(dir, 'exists.yaml');
    writeFileSync(file, 'keep me\n');
    await expect(gen(['encryption-config', '--output', file])).rejects.toThrow(/exists; use --force/);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    expect((await gen(['encryption-config', '--output', file, '--force'])).code).toBe(0);
  });

  it('refuses an invalid --rotate-from file with the parser error', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n',
    );
    await expect(gen(['encryption-config', '--rotate-from', file, '--print'])).rejects.toMatchObject({
      code: 'ENCRYPTION_CONFIG_INVALID',
    });
  });
});

// What the builder makes for these inputs; src/kube/pullsecret/build.test.ts proves it equal to
// `kubectl create secret docker-registry --dry-run=client -o json`, so the CLI's output is
// compared with it (the boundary rule keeps kube's test helpers out of cli tests).
function expectedSecret(
  registry: string,
  username: string,
  password: string,
  name = 'regcred',
  namespace?: string,
): PullSecret {
  return buildPullSecret({
    registry,
    username,
    password,
    name,
    ...(namespace === undefined ? {} : { namespace }),
  });
}

const dockerConfigOf = (secret: { readonly data: Readonly<Record<string, string>> }): unknown =>
  JSON.parse(Buffer.from(secret.data['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));

describe('gen pull-secret', () => {
  it('with --password-stdin prints the Secret kubectl would (YAML and -o json)', async () => {
    const password = 's3cr3t:with colon';
    const args = [
      'pull-secret',
      '--registry',
      'registry.example.com:5000',
      '--username',
      'ci-bot',
      '--password-stdin',
      '--name',
      'pull',
      '--namespace',
      'apps',
    ];
    const yamlRun = await gen(args, { stdin: `${password}\n` });
    const jsonRun = await gen([...args, '-o', 'json'], { stdin: password });
    const expected = expectedSecret('registry.example.com:5000', 'ci-bot', password, 'pull', 'apps');
    expect(parse(yamlRun.stdout)).toEqual(expected);
    expect(JSON.parse(jsonRun.stdout)).toEqual(expected);
    expect(dockerConfigOf(JSON.parse(jsonRun.stdout) as PullSecret)).toEqual(dockerConfigOf(expected));
    expect(dockerConfigOf(expected)).toEqual({
      auths: {
        'registry.example.com:5000': {
          username: 'ci-bot',
          password,
          auth: Buffer.from(`ci-bot:${password}`).toString('base64'),
        },
      },
    });
  });

  it('writes --output with mode 0600', async () => {
    const file = path.join(dir, 'pull.yaml');
    const run = await gen(
      ['pull-secret', '--registry', 'ghcr.io', '--username', 'u', '--password-stdin', '--output', file],
      { stdin: 'pw' },
    );
    expect(run.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run.stdout).not.toContain(Buffer.from('pw').toString('base64'));
    expect(parse(readFileSync(file, 'utf8'))).toEqual(expectedSecret('ghcr.io', 'u', 'pw'));
  });

  it('takes the credential from a real credential helper with --from-docker-config', async () => {
    const bin = path.join(dir, 'bin');
    const config = path.join(dir, 'docker-helper');
    mkdirSync(bin, { recursive: true });
    mkdirSync(config, { recursive: true });
    // docker-credential-helpers protocol: "get" with the server URL on stdin, JSON on stdout.
    const helper = path.join(bin, 'docker-credential-test');
    writeFileSync(
      helper,
      '#!/bin/sh\n[ "$1" = get ] || exit 1\nread server\nif [ "$server" = "helper.example.com" ]; then\n  printf \'{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}\' "$server"\nelse\n  echo "credentials not found in native keychain"; exit 1\nfi\n',
    );
    chmodSync(helper, 0o755);
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({ credHelpers: { 'helper.example.com': 'test' } }),
    );
    const helperEnv = env({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, DOCKER_CONFIG: config });
    const run = await gen(
      ['pull-secret', '--registry', 'helper.example.com', '--from-docker-config', '-o', 'json'],
      { env: helperEnv },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      expectedSecret('helper.example.com', 'helper-user', 'helper-pass'),
    );
  });

  it('takes the credential from config.json auths', async () => {
    const config = path.join(dir, 'docker-auths');
    mkdirSync(config, { recursive: true });
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('octo:ghp-token').toString('base64') } } }),
    );
    const run = await gen(['pull-secret', '--registry', 'ghcr.io', '--from-docker-config', '-o', 'json'], {
      env: env({ DOCKER_CONFIG: config }),
    });
    expect(JSON.parse(run.stdout)).toEqual(expectedSecret('ghcr.io', 'octo', 'ghp-token'));
  });

  it('says where it looked when there is no credential, and refuses identity tokens', async () => {
    const config = path.join(dir, 'docker-token');
    mkdirSync(config, { recursive: true });
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({ auths: { 'quay.io': { identitytoken: 'refresh-token-value' } } }),
    );
    const e = env({ DOCKER_CONFIG: config });
    await expect(
      gen(['pull-secret', '--registry', 'ghcr.io', '--from-docker-config'], { env: e }),
    ).rejects.toMatchObject({
      code: 'PULL_SECRET_NO_CREDENTIALS',
      message: expect.stringContaining(path.join(config, 'config.json')) as string,
    });
    const err: unknown = await gen(['pull-secret', '--registry', 'quay.io', '--from-docker-config'], {
      env: e,
    }).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'PULL_SECRET_CREDENTIAL_UNSUPPORTED' });
    expect(String(err)).not.toContain('refresh-token-value');
  });

  it.each([
    [['--registry', 'r'], /needs --username U --password-stdin, or --from-docker-config/],
    [['--registry', 'r', '--username', 'u'], /--username needs --password-stdin/],
    [['--registry', 'r', '--from-docker-config', '--username', 'u'], /drop --username/],
    [['--username', 'u', '--password-stdin'], /needs --registry/],
    [['--registry', 'r', '--username', 'u', '--password-stdin', '-o', 'xml'], /-o must be yaml or json/],
  ])('refuses %j', async (args, message) => {
    await expect(gen(['pull-secret', ...args], { stdin: 'pw' })).rejects.toThrow(message);
  });
});

describe('portcullis gen (through the CLI)', () => {
  it('refuses a password in argv before the command runs, without echoing it', async () => {
    const r = await runCliCaptured(
      ['gen', 'pull-secret', '--registry', 'r', '--username', 'u', '--password=hunter2-argv'],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('passwords are not accepted as arguments');
    expect(r.stderr + r.stdout).not.toContain('hunter2-argv');
  });

  it('exits 2 when asked for a key with nowhere to put it, and 4 without a credential', async () => {
    const noOutput = await runCliCaptured(['gen', 'encryption-config'], dir);
    expect([noOutput.code, noOutput.stdout]).toEqual([2, '']);
    const config = path.join(dir, 'docker-empty');
    mkdirSync(config, { recursive: true });
    writeFileSync(path.join(config, 'config.json'), '{"auths":{}}');
    const noCred = await runCliCaptured(
      ['gen', 'pull-secret', '--registry', 'ghcr.io', '--from-docker-config'],
      dir,
      {
        env: { DOCKER_CONFIG: config },
      },
    );
    expect([noCred.code, noCred.stderr]).toEqual([
      4,
      expect.stringContaining('[PULL_SECRET_NO_CREDENTIALS]'),
    ]);
  });
});
