import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createMemoryLogger } from '../../core/index.js';
import { OciError } from '../errors.js';
import {
  createDockerConfigCredentialStore,
  createStaticCredentialStore,
  readPasswordFromStdin,
  type Credential,
  type CredentialStore,
} from './credentials.js';

// Real helper programs: small shell scripts named docker-credential-<name> in a temporary
// directory that is the only extra entry on the PATH handed to the store.

let root: string;
let binDir: string;
let argvLog: string;
let stdinLog: string;

const HELPER_PASSWORD = 'hunter2-from-helper:with:colons';
const HUB_TOKEN = 'refresh-token-for-hub';
const STORE_PASSWORD = 'password-from-creds-store';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

async function writeHelper(name: string, body: string): Promise<void> {
  const file = path.join(binDir, `docker-credential-${name}`);
  // Every helper records its argv and what it read on stdin, so tests can check where the secrets went.
  await writeFile(
    file,
    `#!/bin/sh\nprintf '%s\\n' "$0 $*" >> "$ARGV_LOG"\nserver=$(cat)\nprintf '%s\\n' "$server" >> "$STDIN_LOG"\n${body}\n`,
  );
  await chmod(file, 0o755);
}

async function configDir(config: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'cfg-'));
  await writeFile(
    path.join(dir, 'config.json'),
    typeof config === 'string' ? config : JSON.stringify(config, undefined, 2),
  );
  return dir;
}

function env(): NodeJS.ProcessEnv {
  return { PATH: `${binDir}:/usr/bin:/bin`, ARGV_LOG: argvLog, STDIN_LOG: stdinLog, HOME: root };
}

async function storeFor(
  config: unknown,
  extra?: { helperTimeoutMs?: number },
): Promise<{ store: CredentialStore; logger: ReturnType<typeof createMemoryLogger> }> {
  const logger = createMemoryLogger();
  const store = createDockerConfigCredentialStore({
    configDir: await configDir(config),
    env: env(),
    logger,
    ...extra,
  });
  return { store, logger };
}

async function errorOf(p: Promise<unknown>): Promise<OciError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OciError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject');
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-creds-'));
  binDir = path.join(root, 'bin');
  await mkdir(binDir);
  argvLog = path.join(root, 'argv.log');
  stdinLog = path.join(root, 'stdin.log');
  await writeFile(argvLog, '');
  await writeFile(stdinLog, '');
  await writeHelper(
    'test',
    `case "$server" in
  ghcr.io) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"${HELPER_PASSWORD}"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"${HUB_TOKEN}"}' "$server" ;;
  empty.example.com) printf '{"ServerURL":"%s","Username":"","Secret":""}' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
  );
  await writeHelper(
    'store',
    `case "$server" in
  not-here.example.com) echo "credentials not found in native keychain"; exit 1 ;;
  *) printf '{"ServerURL":"%s","Username":"store-user","Secret":"${STORE_PASSWORD}"}' "$server" ;;
esac`,
  );
  await writeHelper('boom', `echo "keychain is locked" >&2; exit 3`);
  await writeHelper(
    'leaky',
    `printf '{"ServerURL":"%s","Username":"u","Secret":"leaked-secret-value"}' "$server"; echo "oops leaked-secret-value" >&2; exit 1`,
  );
  await writeHelper('leaky-json', `echo '{"Secret": "another-secret"}' >&2; exit 2`);
  await writeHelper('garbage', `echo "Username=u Secret=garbage-secret"`);
  await writeHelper('slow', `exec sleep 10`);
  await writeHelper('slow-child', `sleep 5; echo late`);
  await writeHelper('flood', `exec head -c 3000000 /dev/zero`);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createDockerConfigCredentialStore: auths', () => {
  const auths = {
    'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
    'https://registry.example.com:5000': { auth: b64('alice:s3cret') },
    'mirror.example.com/v2/': { auth: b64('bob:pw') },
    'HTTP://Upper.Example.com': { auth: b64('carol:pw2') },
    'token.example.com': { auth: b64('dave:'), identitytoken: 'refresh-abc' },
    'fields.example.com': { username: 'erin', password: 'pw3' },
    'nul.example.com': { auth: b64('frank:pw4\0\0') },
    'placeholder.example.com': {},
    // Docker writes null for absent values.
    'null.example.com': JSON.parse('{"auth": null, "identitytoken": null}') as unknown,
  };

  it.each<[registry: string, expected: Credential | undefined]>([
    ['docker.io', { kind: 'basic', username: 'hubuser', password: 'hub:pass:with:colons' }],
    ['index.docker.io', { kind: 'basic', username: 'hubuser', password: 'hub:pass:with:colons' }],
    ['registry-1.docker.io', { kind: 'basic', username: 'hubuser', password: 'hub:pass:with:colons' }],
    ['registry.example.com:5000', { kind: 'basic', username: 'alice', password: 's3cret' }],
    ['registry.example.com', undefined],
    ['mirror.example.com', { kind: 'basic', username: 'bob', password: 'pw' }],
    ['upper.example.com', { kind: 'basic', username: 'carol', password: 'pw2' }],
    ['token.example.com', { kind: 'identityToken', username: 'dave', token: 'refresh-abc' }],
    ['fields.example.com', { kind: 'basic', username: 'erin', password: 'pw3' }],
    ['nul.example.com', { kind: 'basic', username: 'frank', password: 'pw4' }],
    ['placeholder.example.com', undefined],
    ['null.example.com', undefined],
    ['unknown.example.com', undefined],
    ['constructor', undefined],
  ])('answers for %s', async (registry, expected) => {
    const { store } = await storeFor({ auths });
    expect(await store.get(registry)).toStrictEqual(expected);
  });

  it('prefers the key Docker itself uses when several normalize to the same host', async () => {
    const { store } = await storeFor({
      auths: {
        'docker.io': { auth: b64('other:x') },
        'https://index.docker.io/v1/': { auth: b64('canonical:y') },
        'https://reg.example.com/': { auth: b64('url:1') },
        'reg.example.com': { auth: b64('host:2') },
      },
    });
    expect(await store.get('docker.io')).toStrictEqual({
      kind: 'basic',
      username: 'canonical',
      password: 'y',
    });
    expect(await store.get('reg.example.com')).toStrictEqual({
      kind: 'basic',
      username: 'host',
      password: '2',
    });
  });

  it('logs which source it used but never a secret', async () => {
    const { store, logger } = await storeFor({ auths });
    await store.get('registry.example.com:5000');
    await store.get('docker.io');
    const logged = JSON.stringify(logger.entries);
    expect(logger.entries.length).toBeGreaterThan(0);
    for (const secret of ['s3cret', 'hub:pass:with:colons', b64('alice:s3cret')])
      expect(logged).not.toContain(secret);
  });
});

describe('createDockerConfigCredentialStore: config file', () => {
  it('treats a missing config file as no credentials', async () => {
    const store = createDockerConfigCredentialStore({
      configDir: path.join(root, 'does-not-exist'),
      env: env(),
    });
    expect(await store.get('ghcr.io')).toBeUndefined();
  });

  it('finds config.json through DOCKER_CONFIG, then HOME/.docker', async () => {
    const viaEnv = await configDir({ auths: { 'ghcr.io': { auth: b64('env:1') } } });
    expect(
      await createDockerConfigCredentialStore({ env: { ...env(), DOCKER_CONFIG: viaEnv } }).get('ghcr.io'),
    ).toStrictEqual({
      kind: 'basic',
      username: 'env',
      password: '1',
    });
    const home = await mkdtemp(path.join(root, 'home-'));
    await mkdir(path.join(home, '.docker'));
    await writeFile(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: b64('home:2') } } }),
    );
    expect(
      await createDockerConfigCredentialStore({ env: { PATH: '/usr/bin:/bin', HOME: home } }).get('ghcr.io'),
    ).toStrictEqual({
      kind: 'basic',
      username: 'home',
      password: '2',
    });
  });

  it.each([
    ['malformed JSON', `{"auths": {"ghcr.io": {"auth": "${b64('user:TOPSECRET')}"}`, /is not valid JSON/],
    ['JSON that is not an object', '["TOPSECRET"]', /unexpected shape/],
    [
      'an auth that is not a string',
      { auths: { 'ghcr.io': { auth: 42 } }, note: 'TOPSECRET' },
      /auths\.ghcr\.io\.auth/,
    ],
    [
      'an auth that is not base64',
      { auths: { 'ghcr.io': { auth: 'TOPSECRET!!' } } },
      /auths\["ghcr.io"\]\.auth is not base64/,
    ],
    [
      'an auth without a colon',
      { auths: { 'ghcr.io': { auth: b64('TOPSECRET') } } },
      /does not decode to username:password/,
    ],
  ])('refuses a config with %s, naming the file but not its content', async (_what, config, expected) => {
    const dir = await configDir(config);
    const store = createDockerConfigCredentialStore({ configDir: dir, env: env() });
    const err = await errorOf(store.get('ghcr.io'));
    expect(err.code).toBe('CREDENTIALS_INVALID');
    expect(err.message).toMatch(expected);
    expect(err.message).toContain(path.join(dir, 'config.json'));
    expect(err.message).not.toContain('TOPSECRET');
    expect(err.message).not.toContain(b64('user:TOPSECRET'));
  });
});

describe('createDockerConfigCredentialStore: credential helpers', () => {
  it.each(['../../bin/sh', '/bin/sh', 'a b', ''])(
    'refuses the helper name %j instead of running it',
    async (name) => {
      const { store } = await storeFor({ credHelpers: { 'ghcr.io': name } });
      const err = await errorOf(store.get('ghcr.io'));
      expect(err.code).toBe('CREDENTIALS_INVALID');
      expect(err.message).toMatch(/is not a plain program suffix/);
    },
  );

  it('returns what the helper answers and keeps the secret off its command line and out of the logs', async () => {
    const { store, logger } = await storeFor({ credHelpers: { 'ghcr.io': 'test' } });
    expect(await store.get('ghcr.io')).toStrictEqual({
      kind: 'basic',
      username: 'helper-user',
      password: HELPER_PASSWORD,
    });
    const argv = await readFile(argvLog, 'utf8');
    expect(argv).toContain(`${path.join(binDir, 'docker-credential-test')} get\n`);
    expect(argv).not.toContain(HELPER_PASSWORD);
    expect(await readFile(stdinLog, 'utf8')).toContain('ghcr.io\n');
    expect(JSON.stringify(logger.entries)).not.toContain(HELPER_PASSWORD);
    expect(JSON.stringify(logger.entries)).toContain('credHelpers');
  });

  it('passes Docker Hub as its v1 index URL and reads "<token>" as an identity token', async () => {
    const { store } = await storeFor({ credHelpers: { 'https://index.docker.io/v1/': 'test' } });
    expect(await store.get('docker.io')).toStrictEqual({
      kind: 'identityToken',
      username: '',
      token: HUB_TOKEN,
    });
    expect(await readFile(stdinLog, 'utf8')).toContain('https://index.docker.io/v1/\n');
    expect(await readFile(argvLog, 'utf8')).not.toContain(HUB_TOKEN);
  });

  it.each([
    ['credentials not found', 'missing.example.com'],
    ['an empty secret', 'empty.example.com'],
  ])('treats %s from a helper as no credentials', async (_what, registry) => {
    const { store } = await storeFor({ credHelpers: { [registry]: 'test' } });
    expect(await store.get(registry)).toBeUndefined();
  });

  it('uses credHelpers before credsStore, and credsStore before auths', async () => {
    const { store } = await storeFor({
      credHelpers: { 'ghcr.io': 'test' },
      credsStore: 'store',
      auths: {
        'ghcr.io': { auth: b64('auths-user:auths-pw') },
        'quay.io': { auth: b64('auths-user:auths-pw') },
        'not-here.example.com': { auth: b64('auths-user:auths-pw') },
      },
    });
    expect(await store.get('ghcr.io')).toStrictEqual({
      kind: 'basic',
      username: 'helper-user',
      password: HELPER_PASSWORD,
    });
    expect(await store.get('quay.io')).toStrictEqual({
      kind: 'basic',
      username: 'store-user',
      password: STORE_PASSWORD,
    });
    // As in Docker: once a store is configured, its "not found" is final; auths are not consulted.
    expect(await store.get('not-here.example.com')).toBeUndefined();
  });

  it('says which source answered, for error messages', async () => {
    const dir = await configDir({
      credHelpers: { 'ghcr.io': 'test' },
      auths: { 'https://quay.io/v2/': { auth: b64('q:pw') } },
    });
    const store = createDockerConfigCredentialStore({ configDir: dir, env: env() });
    const file = path.join(dir, 'config.json');
    expect(store.describe('ghcr.io')).toBe(`Docker config ${file}`);
    await store.get('ghcr.io');
    await store.get('quay.io');
    await store.get('other.io');
    expect(store.describe('ghcr.io')).toBe(`Docker config ${file} (credHelpers: docker-credential-test)`);
    expect(store.describe('quay.io')).toBe(`Docker config ${file} (auths["https://quay.io/v2/"])`);
    expect(store.describe('other.io')).toBe(`Docker config ${file} (auths)`);
    expect(
      createStaticCredentialStore('ghcr.io', { kind: 'basic', username: 'u', password: 'p' }, store).describe(
        'quay.io',
      ),
    ).toBe(`Docker config ${file} (auths["https://quay.io/v2/"])`);
    expect(
      createStaticCredentialStore('ghcr.io', { kind: 'basic', username: 'u', password: 'p' }).describe(
        'ghcr.io',
      ),
    ).toBe('the credentials supplied for ghcr.io');
  });

  it('runs a helper once per registry and remembers the answer', async () => {
    const { store } = await storeFor({ credsStore: 'store' });
    const before = (await readFile(stdinLog, 'utf8'))
      .split('\n')
      .filter((l) => l === 'once.example.com').length;
    await Promise.all([store.get('once.example.com'), store.get('once.example.com')]);
    await store.get('ONCE.example.com');
    const after = (await readFile(stdinLog, 'utf8'))
      .split('\n')
      .filter((l) => l === 'once.example.com').length;
    expect(after - before).toBe(1);
  });

  it.each([
    ['boom', /docker-credential-boom failed for ghcr\.io: exit code 3: keychain is locked/, []],
    ['leaky', /docker-credential-leaky failed for ghcr\.io: exit code 1$/, ['leaked-secret-value']],
    ['leaky-json', /docker-credential-leaky-json failed for ghcr\.io: exit code 2$/, ['another-secret']],
    [
      'garbage',
      /docker-credential-garbage failed for ghcr\.io: its output is not the expected/,
      ['garbage-secret'],
    ],
    ['absent', /docker-credential-absent failed for ghcr\.io: it is not installed \(not found on PATH\)/, []],
    ['flood', /docker-credential-flood failed for ghcr\.io: wrote more than 1048576 bytes/, []],
  ])(
    'reports a failing helper (%s) by name and status, without its secrets',
    async (helper, expected, secrets) => {
      const { store, logger } = await storeFor({ credHelpers: { 'ghcr.io': helper } });
      const err = await errorOf(store.get('ghcr.io'));
      expect(err.code).toBe('CREDENTIAL_HELPER_FAILED');
      expect(err.message).toMatch(expected);
      for (const s of secrets) {
        expect(err.message).not.toContain(s);
        expect(JSON.stringify(logger.entries)).not.toContain(s);
      }
    },
  );

  it.each(['slow', 'slow-child'])('kills a helper (%s) that does not answer in time', async (helper) => {
    const { store } = await storeFor({ credHelpers: { 'ghcr.io': helper } }, { helperTimeoutMs: 300 });
    const start = Date.now();
    const err = await errorOf(store.get('ghcr.io'));
    expect(err.code).toBe('CREDENTIAL_HELPER_FAILED');
    expect(err.message).toMatch(/no answer within 300 ms/);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('asks a failed helper again on the next call', async () => {
    const { store } = await storeFor({ credHelpers: { 'ghcr.io': 'boom' } });
    await errorOf(store.get('ghcr.io'));
    const err = await errorOf(store.get('ghcr.io'));
    expect(err.code).toBe('CREDENTIAL_HELPER_FAILED');
  });
});

describe('createStaticCredentialStore', () => {
  const cred: Credential = { kind: 'basic', username: 'u', password: 'p' };
  const fallback: CredentialStore = createStaticCredentialStore('quay.io', {
    kind: 'identityToken',
    username: '',
    token: 't',
  });

  it.each<[given: string, asked: string, expected: Credential | undefined]>([
    ['ghcr.io', 'ghcr.io', cred],
    ['ghcr.io', 'GHCR.io', cred],
    ['https://ghcr.io/v2/', 'ghcr.io', cred],
    ['docker.io', 'index.docker.io', cred],
    ['https://index.docker.io/v1/', 'docker.io', cred],
    ['localhost:5000', 'localhost:5000', cred],
    ['localhost:5000', 'localhost', undefined],
    ['ghcr.io', 'quay.io', { kind: 'identityToken', username: '', token: 't' }],
    ['ghcr.io', 'other.io', undefined],
  ])('given %s, answers %s with the right credential', async (given, asked, expected) => {
    expect(await createStaticCredentialStore(given, cred, fallback).get(asked)).toStrictEqual(expected);
  });

  it('answers undefined for other registries when there is no fallback', async () => {
    expect(await createStaticCredentialStore('ghcr.io', cred).get('quay.io')).toBeUndefined();
  });
});

describe('readPasswordFromStdin', () => {
  it.each<[chunks: (string | Buffer)[], expected: string]>([
    [['pw\n'], 'pw'],
    [['pw'], 'pw'],
    [['pw\r\n'], 'pw'],
    [['pw\n\n'], 'pw\n'],
    [['p:w with spaces '], 'p:w with spaces '],
    [['p', 'w', '\n'], 'pw'],
    [[Buffer.from('pässwörd\n', 'utf8')], 'pässwörd'],
  ])('reads %j as %j', async (chunks, expected) => {
    expect(await readPasswordFromStdin(Readable.from(chunks))).toBe(expected);
  });

  it.each<[what: string, chunks: string[], expected: RegExp]>([
    ['nothing', [], /no password on stdin/],
    ['a lone newline', ['\n'], /no password on stdin/],
    ['a lone CRLF', ['\r\n'], /no password on stdin/],
    ['more than 64 KiB', ['x'.repeat(40_000), 'x'.repeat(40_000)], /longer than 65536 bytes/],
  ])('refuses %s', async (_what, chunks, expected) => {
    const err = await errorOf(readPasswordFromStdin(Readable.from(chunks)));
    expect(err.code).toBe('CREDENTIALS_INVALID');
    expect(err.message).toMatch(expected);
  });
});
