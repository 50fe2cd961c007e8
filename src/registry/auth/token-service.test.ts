import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthorization } from './http-auth.js';
import {
  basicHeader,
  createAccountsFixture,
  FIXTURE_SERVICE as SERVICE,
  type AccountsFixture,
} from './testdata/accounts.js';
import { verifyToken } from './token.js';
import { answerTokenRequest, parseTokenForm, type TokenServiceOptions } from './token-service.js';

let fx: AccountsFixture;
let opts: TokenServiceOptions;
const basic = (user: string, pw: string) => parseAuthorization(basicHeader(user, pw));

beforeAll(async () => {
  fx = await createAccountsFixture();
  opts = { store: fx.store, signer: fx.signer, service: SERVICE };
});

afterAll(() => {
  fx.close();
});

describe('answerTokenRequest', () => {
  it('issues a verifiable token with only the granted actions', async () => {
    const out = await answerTokenRequest(opts, {
      credentials: basic('dev', 'dev-password-1'),
      service: SERVICE,
      scopes: ['repository:team/app:pull,push,delete'],
    });
    if (!out.ok) throw new Error(out.message);
    expect(out.body.token).toBe(out.body.access_token);
    expect(out.body.expires_in).toBe(300);
    const claims = await verifyToken(fx.verifier, out.body.token);
    expect(claims.sub).toBe('dev');
    expect(claims.access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  });

  it('gives anonymous callers public pulls only, and robots their scope', async () => {
    const anon = await answerTokenRequest(opts, {
      credentials: undefined,
      service: undefined,
      scopes: ['repository:pub/base:pull,push repository:team/app:pull'],
    });
    expect(anon).toMatchObject({
      ok: true,
      access: [{ type: 'repository', name: 'pub/base', actions: ['pull'] }],
    });
    const robot = await answerTokenRequest(opts, {
      credentials: basic('robot$team+ci', fx.robotToken),
      service: SERVICE,
      scopes: ['repository:team/app:pull,push'],
    });
    expect(robot).toMatchObject({
      ok: true,
      access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
    });
  });

  it.each([
    [{ credentials: basic('dev', 'wrong-password'), service: SERVICE, scopes: [] }, 401, 'invalid_client'],
    [{ credentials: basic('nobody', 'whatever-pw'), service: SERVICE, scopes: [] }, 401, 'invalid_client'],
    [{ credentials: undefined, service: 'other', scopes: [] }, 400, 'invalid_request'],
    [
      { credentials: undefined, service: SERVICE, scopes: ['repository:team/app:sudo'] },
      400,
      'invalid_scope',
    ],
    [{ credentials: parseAuthorization('Bearer abc'), service: SERVICE, scopes: [] }, 400, 'invalid_request'],
  ])(
    'refuses case %# with %i %s, telling the client nothing about the account',
    async (req, status, error) => {
      const out = await answerTokenRequest(opts, req);
      expect(out).toMatchObject({ ok: false, status, error });
      if (!out.ok && status === 401) {
        expect(out.message).toBe('authentication failed');
        expect(out.failure?.reason).toMatch(/wrong-secret|unknown-account/);
        expect(JSON.stringify(out)).not.toMatch(/wrong-password|whatever-pw/);
      }
    },
  );
});

describe('parseTokenForm', () => {
  it('reads the password grant into the same request GET /token makes', async () => {
    const form = parseTokenForm(
      'grant_type=password&username=dev&password=dev-password-1&service=' +
        `${SERVICE}&client_id=containerd-client&access_type=offline` +
        '&scope=repository%3Ateam%2Fapp%3Apull%2Cpush+repository%3Apub%2Fbase%3Apull&extra=ignored',
    );
    if (!form.ok) throw new Error(form.message);
    expect(form.request).toEqual({
      credentials: { kind: 'basic', username: 'dev', password: 'dev-password-1' },
      service: SERVICE,
      scopes: ['repository:team/app:pull,push repository:pub/base:pull'],
    });
    const out = await answerTokenRequest(opts, form.request);
    expect(out).toMatchObject({
      ok: true,
      access: [
        { name: 'team/app', actions: ['pull', 'push'] },
        { name: 'pub/base', actions: ['pull'] },
      ],
    });
  });

  it.each([
    ['invalid_request', ''],
    ['unsupported_grant_type', 'grant_type=refresh_token&refresh_token=x'],
    ['unsupported_grant_type', 'grant_type=authorization_code&code=x'],
    ['invalid_request', 'grant_type=password&username=dev'],
    ['invalid_request', 'grant_type=password&username=&password=x'],
    ['invalid_request', 'grant_type=password&grant_type=password&username=dev&password=x'],
    ['invalid_request', `grant_type=password&username=${'u'.repeat(5000)}&password=x`],
  ])('refuses form %# with %s, quoting none of it', (error, body) => {
    const form = parseTokenForm(body);
    expect(form).toMatchObject({ ok: false, error });
    if (!form.ok) expect(form.message).not.toMatch(/dev|uuuu/);
  });
});
