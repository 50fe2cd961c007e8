import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPullSecret, formatPullSecret, PullSecretError } from './build.js';

type SecretJson = {
  metadata: Record<string, unknown>;
  data: Record<string, string>;
  [k: string]: unknown;
};

// kubectl is installed on these machines and renders this offline (--dry-run=client).
function kubectlSecret(
  name: string,
  registry: string,
  username: string,
  password: string,
  namespace?: string,
): SecretJson {
  const out = execFileSync(
    'kubectl',
    [
      'create',
      'secret',
      'docker-registry',
      name,
      `--docker-server=${registry}`,
      `--docker-username=${username}`,
      // Test-only fixture passwords: kubectl has no way to take them other than argv.
      `--docker-password=${password}`,
      ...(namespace === undefined ? [] : ['--namespace', namespace]),
      '--dry-run=client',
      '-o',
      'json',
    ],
    { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: '/nonexistent', KUBECONFIG: '/dev/null' } },
  );
  const secret = JSON.parse(out) as SecretJson;
  // kubectl prints the unset creationTimestamp as null; it carries nothing.
  delete secret.metadata['creationTimestamp'];
  return secret;
}

function decoded(secret: { data: Record<string, string> }): unknown {
  return JSON.parse(Buffer.from(secret.data['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
}

describe('buildPullSecret', () => {
  const cases: readonly [string, string, string, string, string | undefined][] = [
    ['regcred', 'ghcr.io', 'alice', 'p@ss:wörd with spaces', undefined],
    ['pull.secret-2', 'registry.example.com:5000', 'robot$ci', 'x', 'prod'],
    ['hub', 'https://index.docker.io/v1/', 'bob', '{"json":"like"}', 'kube-system'],
  ];

  it.each(cases)(
    '%s equals kubectl create secret docker-registry',
    (name, registry, username, password, namespace) => {
      const ours = buildPullSecret({
        name,
        registry,
        username,
        password,
        ...(namespace === undefined ? {} : { namespace }),
      });
      const theirs = kubectlSecret(name, registry, username, password, namespace);
      expect(JSON.parse(formatPullSecret(ours, 'json'))).toEqual(theirs);
      expect(parse(formatPullSecret(ours, 'yaml'))).toEqual(theirs);
      // Same bytes, so also the same decoded document with the same auth field.
      expect(decoded(ours)).toEqual(decoded(theirs));
      expect(decoded(ours)).toEqual({
        auths: {
          [registry]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') },
        },
      });
    },
  );

  it.each([
    [{ name: 'Bad_Name' }, /Secret name "Bad_Name" is not a lower-case RFC 1123 subdomain/],
    [{ namespace: 'a.b' }, /namespace "a\.b" is not a lower-case RFC 1123 label/],
    [{ registry: '' }, /registry must be a host name/],
    [{ username: 'a:b' }, /username contains ':'/],
    [{ password: '' }, /password is empty/],
  ])('refuses %j', (override, message) => {
    const input = { name: 'regcred', registry: 'ghcr.io', username: 'u', password: 'p', ...override };
    expect(() => buildPullSecret(input)).toThrow(PullSecretError);
    expect(() => buildPullSecret(input)).toThrow(message);
  });
});
