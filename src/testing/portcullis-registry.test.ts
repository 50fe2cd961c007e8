import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortcullisRegistry, type TestPortcullisRegistry } from './portcullis-registry.js';

let reg: TestPortcullisRegistry;

beforeAll(async () => {
  reg = await startPortcullisRegistry({
    projects: [{ name: 'team' }, { name: 'pub', public: true }],
    users: { dev: { roles: { team: 'developer' } } },
  });
});

afterAll(async () => {
  await reg.stop();
});

describe('startPortcullisRegistry', () => {
  it('starts an authenticated registry whose users can log in with their roles', async () => {
    expect((await fetch(`${reg.url}/v2/`)).status).toBe(401);
    expect((await fetch(`${reg.url}/v2/`, { headers: { authorization: reg.basic('dev') } })).status).toBe(
      200,
    );
    const wrong = `Basic ${Buffer.from('dev:wrong-password').toString('base64')}`;
    expect((await fetch(`${reg.url}/v2/`, { headers: { authorization: wrong } })).status).toBe(401);
    // Anonymous pull from the public project is allowed, push to team is granted to dev only.
    expect((await fetch(`${reg.url}/v2/pub/x/tags/list`)).status).toBe(404);
    const start = await fetch(`${reg.url}/v2/team/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: reg.basic('dev') },
    });
    expect(start.status).toBe(202);
    await expect(reg.token('dev', 'repository:team/app:push,pull')).resolves.toMatch(/^ey/);
  });
});
