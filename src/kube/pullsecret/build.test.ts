import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPullSecret, formatPullSecret, PullSecretError } from './build.js';
import { dockerConfigOf, kubectlPullSecret } from './testdata/kubectl.js';

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
      const theirs = kubectlPullSecret(name, registry, username, password, namespace);
      expect(JSON.parse(formatPullSecret(ours, 'json'))).toEqual(theirs);
      expect(parse(formatPullSecret(ours, 'yaml'))).toEqual(theirs);
      // Same bytes, so also the same decoded document with the same auth field.
      expect(dockerConfigOf(ours)).toEqual(dockerConfigOf(theirs));
      expect(dockerConfigOf(ours)).toEqual({
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
