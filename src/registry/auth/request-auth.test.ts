import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequest, authorizeRequest, type RequestIdentity } from './request-auth.js';
import {
  basicHeader as basic,
  createAccountsFixture,
  FIXTURE_SERVICE as SERVICE,
  type AccountsFixture,
} from './testdata/accounts.js';
import { issueToken } from './token.js';

let fx: AccountsFixture;
let deps: Pick<AccountsFixture, 'store' | 'verifier'>;

beforeAll(async () => {
  fx = await createAccountsFixture();
  deps = fx;
});

afterAll(() => {
  fx.close();
});

function accepted(identity: RequestIdentity): Exclude<RequestIdentity, { kind: 'failed' }> {
  if (identity.kind === 'failed') throw new Error(`authentication failed: ${identity.reason}`);
  return identity;
}

describe('authenticateRequest and authorizeRequest', () => {
  it('decide Basic requests through the role table', async () => {
    const id = accepted(await authenticateRequest(deps, basic('dev', 'dev-password-1')));
    expect(await authorizeRequest(fx.store, id, 'push', 'team/app')).toMatchObject({
      allowed: true,
      reason: 'project-role',
    });
    expect(await authorizeRequest(fx.store, id, 'delete', 'team/app')).toMatchObject({
      allowed: false,
      reason: 'role-insufficient',
      subject: 'user dev',
    });
    const robot = accepted(await authenticateRequest(deps, basic('robot$team+ci', fx.robotToken)));
    expect(await authorizeRequest(fx.store, robot, 'push', 'team/app')).toMatchObject({
      allowed: false,
      reason: 'out-of-scope',
    });
  });

  it('decide anonymous requests by the public flag', async () => {
    const id = accepted(await authenticateRequest(deps, undefined));
    expect(id.kind).toBe('anonymous');
    expect((await authorizeRequest(fx.store, id, 'pull', 'pub/app')).allowed).toBe(true);
    expect((await authorizeRequest(fx.store, id, 'pull', 'team/app')).allowed).toBe(false);
  });

  it('decide Bearer requests by the access claim alone', async () => {
    const { token } = await issueToken(fx.signer, {
      subject: 'robot$team+ci',
      audience: SERVICE,
      access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
    });
    const id = accepted(await authenticateRequest(deps, `Bearer ${token}`));
    expect(await authorizeRequest(fx.store, id, 'pull', 'team/app')).toMatchObject({
      allowed: true,
      reason: 'token-access',
      subject: 'robot robot$team+ci',
    });
    expect(await authorizeRequest(fx.store, id, 'push', 'team/app')).toMatchObject({
      allowed: false,
      reason: 'token-insufficient',
    });
    expect((await authorizeRequest(fx.store, id, 'pull', 'team/other')).allowed).toBe(false);
  });

  it.each([
    ['a wrong password', basic('dev', 'wrong-password'), 'wrong-secret'],
    ['an unknown user', basic('ghost', 'whatever-pw'), 'unknown-account'],
    ['a malformed header', 'Basic !!!', 'CREDENTIALS_MALFORMED'],
    ['a garbage token', 'Bearer abc.def.ghi', 'TOKEN_INVALID'],
  ])('fail with a reason for %s', async (_, header, reason) => {
    expect(await authenticateRequest(deps, header)).toMatchObject({ kind: 'failed', reason });
  });

  it('fail for an expired token and a token for another service', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const old = await issueToken(fx.signer, { subject: 'dev', audience: SERVICE, access: [], now });
    expect(await authenticateRequest(deps, `Bearer ${old.token}`)).toMatchObject({
      kind: 'failed',
      reason: 'TOKEN_EXPIRED',
    });
    const other = await issueToken(fx.signer, { subject: 'dev', audience: 'elsewhere', access: [] });
    expect(await authenticateRequest(deps, `Bearer ${other.token}`)).toMatchObject({
      kind: 'failed',
      reason: 'TOKEN_AUDIENCE',
    });
  });
});
