import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { EncryptionConfigError } from './errors.js';
import { parseEncryptionConfig, tryParseEncryptionConfig } from './parse.js';
import { parseGoDuration } from './validate.js';

// kubernetes/apiserver's own test configurations (../shared/data/encryption-config, SOURCES.md).
const apiserverDir = (): string => sharedData('encryption-config', 'k8s-apiserver');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function errorOf(text: string, file = 'enc.yaml'): EncryptionConfigError {
  try {
    parseEncryptionConfig(text, file);
  } catch (err) {
    if (err instanceof EncryptionConfigError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

const SECRET_IS_SECURE = 'c2VjcmV0IGlzIHNlY3VyZQ=='; // 16 bytes, from the apiserver's test data
const KEY32 = 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=';

function config(providers: string, resources = '[secrets]'): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ${resources}
    providers:
${providers}`;
}

describe('parseEncryptionConfig on the apiserver test data', () => {
  it('accepts every valid configuration', () => {
    const files = filesUnder(path.join(apiserverDir(), 'valid-configs'));
    expect(files.length).toBe(16);
    for (const file of files) {
      const loaded = parseEncryptionConfig(readFileSync(file, 'utf8'), file);
      expect(loaded.config.resources.length, file).toBeGreaterThan(0);
    }
  });

  // The apiserver's messages for these cases (config_test.go / validation.go), in our words where
  // they are Go-specific; each names the field.
  const invalid: readonly [string, RegExp][] = [
    [
      'invalid-aes-gcm.yaml',
      /resources\[0\]\.providers\[0\]\.aesgcm\.keys: Required value: at least one keys is required/,
    ],
    [
      'invalid-typo.yaml',
      /strict decoding error: unknown field "resources\[0\]\.providers\[3\]\.kms\.pandas"/,
    ],
    [
      'kms/invalid-apiversion.yaml',
      /resources\[0\]\.providers\[0\]\.kms\.apiVersion: Invalid value: "v3": unsupported apiVersion v3 for KMS provider, only v1 and v2 are supported/,
    ],
    [
      'kms/invalid-config-type.yaml',
      /no kind "EncryptionConfigurations" is registered for version "apiserver\.config\.k8s\.io\/v1"/,
    ],
    ['kms/invalid-content.yaml', /encryption provider config file ".*invalid-content\.yaml" is empty/],
    ['kms/invalid-gvk.yaml', /Object 'Kind' is missing/],
  ];

  it('has a case for every invalid configuration', () => {
    const files = filesUnder(path.join(apiserverDir(), 'invalid-configs')).map((f) =>
      path.relative(path.join(apiserverDir(), 'invalid-configs'), f),
    );
    expect(files).toEqual(invalid.map(([f]) => f).sort());
  });

  it.each(invalid)('rejects %s naming the field and reason', (name, expected) => {
    const file = path.join(apiserverDir(), 'invalid-configs', name);
    const err = errorOf(readFileSync(file, 'utf8'), file);
    expect(err.code).toBe('ENCRYPTION_CONFIG_INVALID');
    expect(err.message).toMatch(expected);
  });

  it('gives the line of the offending field', () => {
    const file = path.join(apiserverDir(), 'invalid-configs', 'invalid-typo.yaml');
    const err = errorOf(readFileSync(file, 'utf8'), file);
    expect(err.errors).toEqual([
      expect.objectContaining({ field: 'resources[0].providers[3].kms.pandas', line: 26 }),
    ]);
    expect(err.message).toContain('invalid-typo.yaml:26:');
  });

  it('reads the legacy v1 EncryptionConfig like the apiserver', () => {
    const loaded = parseEncryptionConfig(
      readFileSync(path.join(apiserverDir(), 'valid-configs', 'legacy.yaml'), 'utf8'),
    );
    expect(loaded.config.kind).toBe('EncryptionConfig');
    expect(loaded.config.resources[0]?.providers.map((p) => p.type)).toEqual([
      'identity',
      'aesgcm',
      'kms',
      'aescbc',
      'secretbox',
    ]);
  });

  it('applies the apiserver defaults to kms (v1 when unnamed)', () => {
    const loaded = parseEncryptionConfig(
      readFileSync(path.join(apiserverDir(), 'valid-configs', 'kms', 'default-timeout.yaml'), 'utf8'),
    );
    expect(loaded.config.resources[0]?.providers[0]).toEqual({
      type: 'kms',
      apiVersion: 'v1',
      name: 'foo',
      endpoint: 'unix:///tmp/testprovider.sock',
    });
  });
});

describe('parseEncryptionConfig validation', () => {
  const cases: readonly [string, string, RegExp][] = [
    [
      'a secretbox key of 16 bytes',
      config(`      - secretbox: {keys: [{name: k, secret: ${SECRET_IS_SECURE}}]}`),
      /providers\[0\]\.secretbox\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of \[32\]/,
    ],
    [
      'a key that is not base64',
      config('      - aescbc: {keys: [{name: k, secret: "not base64!"}]}'),
      /keys\[0\]\.secret: Invalid value: "REDACTED": secrets must be base64 encoded/,
    ],
    [
      'a key without a name',
      config(`      - aescbc: {keys: [{secret: ${KEY32}}]}`),
      /keys\[0\]\.name: Required value: name is a mandatory field for a key/,
    ],
    [
      'a key without a secret',
      config('      - aescbc: {keys: [{name: k}]}'),
      /keys\[0\]\.secret: Required value: secret is a mandatory field for a key/,
    ],
    [
      'two providers in one element',
      config(`      - identity: {}\n        aescbc: {keys: [{name: k, secret: ${KEY32}}]}`),
      /providers\[0\]: Invalid value: more than one provider specified in a single element/,
    ],
    [
      'an empty provider element',
      config('      - {}'),
      /providers\[0\]: Invalid value: provider does not contain any of the expected providers/,
    ],
    ['no providers', config('      []'), /resources\[0\]\.providers: Required value/],
    [
      'no resources',
      'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n',
      /^.*resources: Required value: at least one resources is required/m,
    ],
    [
      'a kms endpoint over tcp',
      config('      - kms: {apiVersion: v2, name: k, endpoint: "tcp://10.0.0.1:80"}'),
      /kms\.endpoint: Invalid value: "tcp:\/\/10\.0\.0\.1:80": unsupported scheme "tcp" for KMS provider, only unix is supported/,
    ],
    [
      'a kms without endpoint',
      config('      - kms: {apiVersion: v2, name: k}'),
      /kms\.endpoint: Invalid value: "": endpoint is a mandatory field for a kms/,
    ],
    [
      'a zero kms timeout',
      config('      - kms: {apiVersion: v2, name: k, endpoint: "unix:///s", timeout: 0s}'),
      /kms\.timeout: Invalid value: "0s": timeout should be a positive value/,
    ],
    [
      'a kms timeout that is not a duration',
      config('      - kms: {apiVersion: v2, name: k, endpoint: "unix:///s", timeout: 3}'),
      /kms\.timeout: Invalid value: expected a string, got a number/,
    ],
    [
      'cachesize on kms v2',
      config('      - kms: {apiVersion: v2, name: k, endpoint: "unix:///s", cachesize: 10}'),
      /kms\.cachesize: Invalid value: 10: cachesize is not supported in v2/,
    ],
    [
      'a zero cachesize on kms v1',
      config('      - kms: {name: k, endpoint: "unix:///s", cachesize: 0}'),
      /kms\.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable/,
    ],
    [
      'a colon in a kms v2 name',
      config('      - kms: {apiVersion: v2, name: "a:b", endpoint: "unix:///s"}'),
      /kms\.name: Invalid value: "a:b": invalid KMS provider name a:b, must not contain ':'/,
    ],
    [
      'duplicate kms v2 names',
      config(
        '      - kms: {apiVersion: v2, name: k, endpoint: "unix:///s"}\n      - kms: {apiVersion: v2, name: k, endpoint: "unix:///s"}',
      ),
      /providers\[1\]\.kms\.name: Invalid value: "k": duplicate KMS provider name k, names must be unique/,
    ],
    [
      'the bare * resource',
      config('      - identity: {}', "['*']"),
      /resources\[0\]\.resources\[0\]: Invalid value: "\*": use '\*\.' to encrypt all the resources from core API group/,
    ],
    [
      'capital letters',
      config('      - identity: {}', '[Secrets]'),
      /resources should not contain capital letters|resource name should not contain capital letters/,
    ],
    [
      'events.k8s.io',
      config('      - identity: {}', '[events.events.k8s.io]'),
      /'\*\.events\.k8s\.io' objects are stored using the 'events' API group/,
    ],
    [
      'the extensions group',
      config('      - identity: {}', '[deployments.extensions]'),
      /'extensions' group has been removed/,
    ],
    [
      'a resource across groups',
      config('      - identity: {}', "['secrets.*']"),
      /encrypting the same resource across groups is not supported/,
    ],
    [
      'a resource without a REST API',
      config('      - identity: {}', '[serviceipallocations]'),
      /resources which do not have REST API\/s cannot be encrypted/,
    ],
    [
      'duplicate resources',
      config('      - identity: {}', '[secrets, secrets]'),
      /the same resource cannot be specified multiple times/,
    ],
    [
      'overlapping resources',
      config('      - identity: {}', "[secrets, '*.']"),
      /using overlapping resources such as 'secrets' and '\*\.' in the same resource list is not allowed/,
    ],
    [
      'a resource after a wildcard that masks it',
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: ['*.*']\n    providers: [identity: {}]\n  - resources: [secrets]\n    providers: [identity: {}]\n",
      /resources\[1\]\.resources\[0\]: Invalid value: resource "secrets" is masked by earlier rule "\*\.\*"/,
    ],
    [
      'a list where a mapping belongs',
      config('      - aescbc: [a]'),
      /providers\[0\]\.aescbc: Invalid value: expected a mapping, got a list/,
    ],
    [
      'an unknown top-level field',
      `metadata: {name: x}\n${config('      - identity: {}')}`,
      /strict decoding error: unknown field "metadata"/,
    ],
    [
      'duplicate YAML keys',
      `kind: EncryptionConfiguration\n${config('      - identity: {}')}`,
      /not valid YAML or JSON: Map keys must be unique/,
    ],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
  ];

  it.each(cases)('rejects %s', (_name, text, expected) => {
    expect(errorOf(text).message).toMatch(expected);
  });

  it('never quotes key material in errors', () => {
    const bad = 'dGhpcyBpcyBub3QgYSBnb29kIGtleQ'; // no padding: not StdEncoding
    const err = errorOf(config(`      - aescbc: {keys: [{name: k, secret: ${bad}}]}`));
    expect(err.message).not.toContain(bad);
    const short = errorOf(config(`      - secretbox: {keys: [{name: k, secret: ${SECRET_IS_SECURE}}]}`));
    expect(short.message).not.toContain(SECRET_IS_SECURE);
  });

  it('reports every problem at once, each with its line', () => {
    const err = errorOf(
      config(
        `      - aescbc: {keys: [{name: k, secret: "x"}]}\n      - kms: {apiVersion: v2, name: k, endpoint: "http://x"}`,
      ),
    );
    expect(err.errors.map((e) => [e.field, e.line])).toEqual([
      ['resources[0].providers[0].aescbc.keys[0].secret', 6],
      ['resources[0].providers[1].kms.endpoint', 7],
    ]);
  });

  it('allows wildcards after the specific resources they would mask', () => {
    const text =
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [events]\n    providers: [identity: {}]\n  - resources: ['*.*']\n    providers: [identity: {}]\n";
    expect(tryParseEncryptionConfig(text)?.config.resources.length).toBe(2);
  });

  it('refuses files over 1 MiB', () => {
    expect(errorOf(`# ${'x'.repeat(1 << 20)}\n`).code).toBe('ENCRYPTION_CONFIG_TOO_LARGE');
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['3s', 3e9],
    ['1m30s', 90e9],
    ['500ms', 5e8],
    ['1.5h', 5400e9],
    ['0', 0],
    ['-1s', -1e9],
  ])('reads %s', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each(['', '3', 's', '1d', '3 s'])('refuses %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
