import { describe, expect, it } from 'vitest';
import { formatBasicChallenge, formatBearerChallenge, parseAuthorization } from './http-auth.js';
import { parseScopes } from './scope.js';

const basic = (s: string): string => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads Basic credentials, with colons and non-ASCII in the password', () => {
    expect(parseAuthorization(basic('alice:pa:ss wörd'))).toEqual({
      kind: 'basic',
      username: 'alice',
      password: 'pa:ss wörd',
    });
    expect(parseAuthorization(`basic ${Buffer.from('a:b').toString('base64')}`)).toMatchObject({
      username: 'a',
    });
  });

  it('reads Bearer tokens and returns undefined without a header', () => {
    expect(parseAuthorization('Bearer abc.def-ghi_jkl')).toEqual({
      kind: 'bearer',
      token: 'abc.def-ghi_jkl',
    });
    expect(parseAuthorization(undefined)).toBeUndefined();
  });

  const secret = 'hunter2-secret-value';
  it.each([
    ['no scheme', `x${secret}`],
    ['unknown scheme', `Digest ${secret}`],
    ['bad base64', `Basic ${secret}!!`],
    ['no colon', basic(`alice${secret}`)],
    ['empty user', basic(`:${secret}`)],
    ['control characters', basic(`alice:${secret}\n`)],
    ['invalid UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['overlong', basic(`alice:${secret}${'x'.repeat(9000)}`)],
    ['bearer with spaces', `Bearer ${secret} more`],
  ])('refuses %s without echoing the secret', (_, header) => {
    let message = '';
    try {
      parseAuthorization(header);
    } catch (err) {
      expect(err).toMatchObject({ code: 'CREDENTIALS_MALFORMED' });
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(secret);
    expect(message).not.toContain(header.slice(6, 20));
  });
});

describe('challenges', () => {
  it('formats a Bearer challenge with realm, service and space-joined scopes', () => {
    expect(
      formatBearerChallenge({
        realm: 'https://reg.example/token',
        service: 'reg.example',
        scopes: parseScopes(['repository:team/app:pull,push', 'registry:catalog:*']),
      }),
    ).toBe(
      'Bearer realm="https://reg.example/token",service="reg.example",scope="repository:team/app:pull,push registry:catalog:*"',
    );
  });

  it('adds the error and escapes quotes', () => {
    expect(formatBearerChallenge({ realm: 'a"b', service: 's\\', error: 'insufficient_scope' })).toBe(
      'Bearer realm="a\\"b",service="s\\\\",error="insufficient_scope"',
    );
    expect(formatBasicChallenge('portcullis')).toBe('Basic realm="portcullis",charset="UTF-8"');
    expect(() => formatBasicChallenge('a\r\nSet-Cookie: x')).toThrow(/control characters/);
  });
});
