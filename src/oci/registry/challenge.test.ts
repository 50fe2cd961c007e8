import { describe, expect, it } from 'vitest';
import { parseAuthChallenges } from './challenge.js';

describe('parseAuthChallenges', () => {
  it.each([
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull',
          },
        },
      ],
    ],
    // A scope with a comma inside quotes is one value, not two parameters.
    [
      'Bearer realm="https://r.example/token", service="r.example", scope="repository:a/b:pull,push"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://r.example/token',
            service: 'r.example',
            scope: 'repository:a/b:pull,push',
          },
        },
      ],
    ],
    // Two challenges in one header value.
    [
      'Basic realm="basic", Bearer realm="https://t.example/token",service="svc"',
      [
        { scheme: 'basic', params: { realm: 'basic' } },
        { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'svc' } },
      ],
    ],
    // Scheme and parameter names are case-insensitive; unquoted values are tokens.
    [
      'BEARER Realm=https://t.example/token, Service=svc',
      [{ scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'svc' } }],
    ],
    // Escaped quotes inside a quoted value.
    [
      'Bearer realm="a\\"b", error="insufficient_scope"',
      [{ scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } }],
    ],
    ['Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseAuthChallenges(header)).toEqual(expected);
  });

  it('reads challenges from several header lines', () => {
    expect(parseAuthChallenges(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });

  it('does not throw on garbage and keeps what it could read', () => {
    expect(parseAuthChallenges('Bearer realm="unterminated')).toEqual([
      { scheme: 'bearer', params: { realm: 'unterminated' } },
    ]);
    expect(() => parseAuthChallenges('=,,"";;Basic')).not.toThrow();
    expect(parseAuthChallenges(undefined)).toEqual([]);
  });

  it('bounds the work on huge headers', () => {
    const huge = `Bearer realm="${'a'.repeat(1_000_000)}"`;
    const [c] = parseAuthChallenges(huge);
    expect(c?.params['realm']?.length).toBeLessThan(20_000);
  });
});
