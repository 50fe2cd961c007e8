import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../core/index.js';
import {
  startPortcullisRegistry,
  type TestPortcullisRegistry,
} from '../../../testing/portcullis-registry.js';
import { hashRobotToken } from '../../auth/index.js';
import { managementRoutes } from './register.js';

// The management API against our real registry (accounts in SQLite, audit log, /token): each
// route's happy path, who is refused, bad input, unknown names, and that no password, password
// hash, token or token hash ever appears in an answer or in the audit log.

let reg: TestPortcullisRegistry;
/** Every body the API answered, checked for secrets at the end. */
const answers: string[] = [];
/** Every JSON answer with its request, checked against the OpenAPI document at the end. */
const exchanges: { method: string; path: string; status: number; json: unknown }[] = [];
/** Secrets sent to the API or handed out by it. */
const secrets: string[] = [];

type Who = string | { readonly authorization: string } | undefined;

async function call(
  method: string,
  path: string,
  who: Who,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const auth: Record<string, string> =
    who === undefined ? {} : { authorization: typeof who === 'string' ? reg.basic(who) : who.authorization };
  const res = await fetch(`${reg.url}${path}`, {
    method,
    headers: {
      ...auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  answers.push(text);
  if (text !== '' && res.headers.get('content-type')?.startsWith('application/json') === true)
    exchanges.push({ method, path, status: res.status, json: JSON.parse(text) as unknown });
  return {
    status: res.status,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}

function errorOf(json: Record<string, unknown>): { code: string; message: string } {
  const errors = json['errors'] as { code: string; message: string }[];
  expect(errors).toHaveLength(1);
  return errors[0] ?? { code: '', message: '' };
}

/** Asserts a refusal: status, stable code, and a message matching `message`. */
async function refused(
  res: Promise<{ status: number; json: Record<string, unknown> }>,
  status: number,
  code: string,
  message?: RegExp,
): Promise<void> {
  const r = await res;
  expect(r.status).toBe(status);
  const e = errorOf(r.json);
  expect(e.code).toBe(code);
  if (message !== undefined) expect(e.message).toMatch(message);
}

const NEW_PW = `n-${digestOf(Buffer.from(String(Math.random()))).slice(7, 27)}`;

beforeAll(async () => {
  reg = await startPortcullisRegistry({
    projects: [{ name: 'team' }, { name: 'pub', public: true }, { name: 'other' }],
    users: {
      alice: { roles: { team: 'admin' } },
      dev: { roles: { team: 'developer' } },
      guest: { roles: { team: 'guest' } },
      bob: {},
    },
  });
  for (const u of ['admin', 'alice', 'dev', 'guest', 'bob']) secrets.push(reg.password(u));
  secrets.push(NEW_PW);
});

afterAll(async () => {
  await reg.stop();
});

describe('authentication', () => {
  it('answers 401 with a Basic challenge without credentials or with wrong ones', async () => {
    const none = await call('GET', '/api/v1/projects', undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="portcullis"');
    expect(errorOf(none.json).code).toBe('UNAUTHORIZED');
    const wrong = `Basic ${Buffer.from('alice:not-her-password').toString('base64')}`;
    secrets.push('not-her-password');
    await refused(call('GET', '/api/v1/projects', { authorization: wrong }), 401, 'UNAUTHORIZED');
    // Credentials are checked before a body is read: a stranger's malformed body is not parsed.
    await refused(call('POST', '/api/v1/users', undefined, '{"name":'), 401, 'UNAUTHORIZED');
    await refused(call('POST', '/api/v1/users', 'bob', 'x'.repeat(70 * 1024)), 403, 'DENIED');
    const login = reg.audit?.query({ action: 'login', actor: 'alice' })[0];
    expect(login).toMatchObject({ result: 'failure', reason: 'wrong-secret', status: 401 });
  });

  it('accepts a bearer token from /token, deciding from the account behind it', async () => {
    const token = await reg.token('admin', 'repository:team/app:pull');
    secrets.push(token);
    const res = await call('GET', '/api/v1/users', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    const devToken = await reg.token('dev', 'repository:team/app:pull,push');
    secrets.push(devToken);
    await refused(call('GET', '/api/v1/users', { authorization: `Bearer ${devToken}` }), 403, 'DENIED');
  });

  it('serves its OpenAPI document to anyone, and 404 for unknown routes', async () => {
    const doc = await call('GET', '/api/v1/openapi.json', undefined);
    expect(doc.status).toBe(200);
    expect(doc.json['openapi']).toBe('3.1.0');
    await refused(call('GET', '/api/v1/nothing-here', 'admin'), 404, 'NOT_FOUND');
  });
});

describe('users', () => {
  it('lists users for a system administrator, without password hashes', async () => {
    const res = await call('GET', '/api/v1/users', 'admin');
    expect(res.status).toBe(200);
    const users = res.json['users'] as Record<string, unknown>[];
    expect(users.map((u) => u['name']).sort()).toEqual(['admin', 'alice', 'bob', 'dev', 'guest']);
    expect(Object.keys(users[0] ?? {}).sort()).toEqual(['createdAt', 'disabled', 'name', 'systemAdmin']);
  });

  it('creates a user who can then log in; refuses a non-administrator, recording the denial', async () => {
    const created = await call('POST', '/api/v1/users', 'admin', { name: 'carol', password: NEW_PW });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'carol', systemAdmin: false, disabled: false });
    const basic = `Basic ${Buffer.from(`carol:${NEW_PW}`).toString('base64')}`;
    expect((await call('GET', '/api/v1/users/carol', { authorization: basic })).status).toBe(200);
    await refused(
      call('POST', '/api/v1/users', 'alice', { name: 'mallory', password: NEW_PW }),
      403,
      'DENIED',
      /system administrator/,
    );
    expect(reg.audit?.query({ action: 'denied', actor: 'alice' })[0]).toMatchObject({
      actorKind: 'user',
      result: 'failure',
      status: 403,
    });
    expect(await reg.accounts?.getUser('mallory')).toBeUndefined();
  });

  it('refuses bad input with 400 and a message naming the field', async () => {
    await refused(
      call('POST', '/api/v1/users', 'admin', { name: 'dave', password: 'short' }),
      400,
      'INVALID',
      /at least 8/,
    );
    await refused(
      call('POST', '/api/v1/users', 'admin', { name: 'Dave!', password: NEW_PW }),
      400,
      'INVALID',
      /body\.name: expected a user name/,
    );
    await refused(
      call('POST', '/api/v1/users', 'admin', { name: 'dave', password: NEW_PW, admin: true }),
      400,
      'INVALID',
      /admin/,
    );
    await refused(call('POST', '/api/v1/users', 'admin', '{"name":'), 400, 'INVALID', /JSON/);
    await refused(call('POST', '/api/v1/users', 'admin'), 400, 'INVALID', /body/);
    await refused(
      call('POST', '/api/v1/users', 'admin', { name: 'dave', password: 'x'.repeat(70 * 1024) }),
      413,
      'TOO_LARGE',
    );
    await refused(
      call('POST', '/api/v1/users', 'admin', 'name=dave', { 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await refused(
      call('POST', '/api/v1/users', 'admin', { name: 'carol', password: NEW_PW }),
      409,
      'ALREADY_EXISTS',
    );
    await refused(call('GET', '/api/v1/users/UPPER', 'admin'), 400, 'INVALID', /path\.name/);
    await refused(call('GET', '/api/v1/users/nobody', 'admin'), 404, 'NOT_FOUND', /nobody/);
  });

  it('lets users read themselves but not others', async () => {
    expect((await call('GET', '/api/v1/users/bob', 'bob')).json).toMatchObject({ name: 'bob' });
    await refused(call('GET', '/api/v1/users/alice', 'bob'), 403, 'DENIED');
  });

  it('changes a password: users their own with the current one, administrators anyone', async () => {
    const path = '/api/v1/users/bob/password';
    await refused(call('PUT', path, 'bob', { password: NEW_PW }), 400, 'INVALID', /currentPassword/);
    await refused(
      call('PUT', path, 'bob', { password: NEW_PW, currentPassword: 'wrong-one' }),
      403,
      'DENIED',
    );
    await refused(call('PUT', path, 'alice', { password: NEW_PW }), 403, 'DENIED');
    await refused(call('PUT', path, 'admin', { password: 'short' }), 400, 'INVALID');
    const ok = await call('PUT', path, 'bob', { password: NEW_PW, currentPassword: reg.password('bob') });
    expect(ok.status).toBe(204);
    // The old password no longer works; the new one does.
    await refused(call('GET', '/api/v1/users/bob', 'bob'), 401, 'UNAUTHORIZED');
    const basic = `Basic ${Buffer.from(`bob:${NEW_PW}`).toString('base64')}`;
    expect((await call('GET', '/api/v1/users/bob', { authorization: basic })).status).toBe(200);
    // An administrator sets it back without the current one.
    const back = await call('PUT', path, 'admin', { password: reg.password('bob') });
    expect(back.status).toBe(204);
    expect((await call('GET', '/api/v1/users/bob', 'bob')).status).toBe(200);
    await refused(
      call('PUT', '/api/v1/users/nobody/password', 'admin', { password: NEW_PW }),
      404,
      'NOT_FOUND',
    );
  });

  it('grants and revokes system administration, keeping the last administrator', async () => {
    const granted = await call('PUT', '/api/v1/users/carol/system-admin', 'admin');
    expect(granted.json).toMatchObject({ name: 'carol', systemAdmin: true });
    await refused(call('PUT', '/api/v1/users/carol/system-admin', 'alice'), 403, 'DENIED');
    const revoked = await call('DELETE', '/api/v1/users/carol/system-admin', 'admin');
    expect(revoked.json).toMatchObject({ name: 'carol', systemAdmin: false });
    await refused(
      call('DELETE', '/api/v1/users/admin/system-admin', 'admin'),
      409,
      'CONFLICT',
      /last active/,
    );
    await refused(call('DELETE', '/api/v1/users/admin', 'admin'), 409, 'CONFLICT', /last active/);
    await refused(call('PUT', '/api/v1/users/nobody/system-admin', 'admin'), 404, 'NOT_FOUND');
  });

  it('disables and enables a user, keeping the last administrator', async () => {
    const disabled = await call('PATCH', '/api/v1/users/carol', 'admin', { disabled: true });
    expect(disabled.json).toMatchObject({ name: 'carol', disabled: true });
    const basic = `Basic ${Buffer.from(`carol:${NEW_PW}`).toString('base64')}`;
    await refused(call('GET', '/api/v1/users/carol', { authorization: basic }), 401, 'UNAUTHORIZED');
    expect((await call('PATCH', '/api/v1/users/carol', 'admin', { disabled: false })).status).toBe(200);
    expect((await call('GET', '/api/v1/users/carol', { authorization: basic })).status).toBe(200);
    await refused(call('PATCH', '/api/v1/users/admin', 'admin', { disabled: true }), 409, 'CONFLICT');
    await refused(call('PATCH', '/api/v1/users/carol', 'alice', { disabled: true }), 403, 'DENIED');
    await refused(call('PATCH', '/api/v1/users/carol', 'admin', { disabled: 'yes' }), 400, 'INVALID');
    await refused(call('PATCH', '/api/v1/users/nobody', 'admin', { disabled: true }), 404, 'NOT_FOUND');
  });

  it('deletes a user', async () => {
    await refused(call('DELETE', '/api/v1/users/carol', 'alice'), 403, 'DENIED');
    expect((await call('DELETE', '/api/v1/users/carol', 'admin')).status).toBe(204);
    await refused(call('GET', '/api/v1/users/carol', 'admin'), 404, 'NOT_FOUND');
    await refused(call('DELETE', '/api/v1/users/carol', 'admin'), 404, 'NOT_FOUND');
  });
});

describe('projects', () => {
  const names = (json: Record<string, unknown>): unknown[] =>
    (json['projects'] as { name: string }[]).map((p) => p.name).sort();

  it('lists what each caller may see', async () => {
    expect(names((await call('GET', '/api/v1/projects', 'admin')).json)).toEqual(['other', 'pub', 'team']);
    expect(names((await call('GET', '/api/v1/projects', 'guest')).json)).toEqual(['pub', 'team']);
    expect(names((await call('GET', '/api/v1/projects', 'bob')).json)).toEqual(['pub']);
  });

  it('creates projects for system administrators only', async () => {
    const res = await call('POST', '/api/v1/projects', 'admin', { name: 'made', public: true });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'made', public: true });
    await refused(call('POST', '/api/v1/projects', 'alice', { name: 'mine' }), 403, 'DENIED');
    await refused(call('POST', '/api/v1/projects', 'admin', { name: 'made' }), 409, 'ALREADY_EXISTS');
    await refused(
      call('POST', '/api/v1/projects', 'admin', { name: 'Bad/Name' }),
      400,
      'INVALID',
      /body\.name/,
    );
  });

  it('gets a project the caller may see, and 404 for the others', async () => {
    expect((await call('GET', '/api/v1/projects/team', 'guest')).json).toMatchObject({ name: 'team' });
    expect((await call('GET', '/api/v1/projects/pub', 'bob')).status).toBe(200);
    await refused(call('GET', '/api/v1/projects/team', 'bob'), 404, 'NOT_FOUND');
    await refused(call('GET', '/api/v1/projects/nothing', 'admin'), 404, 'NOT_FOUND');
  });

  it("changes a project's visibility for its administrators", async () => {
    const res = await call('PATCH', '/api/v1/projects/team', 'alice', { public: true });
    expect(res.json).toMatchObject({ name: 'team', public: true });
    expect((await call('PATCH', '/api/v1/projects/team', 'admin', { public: false })).status).toBe(200);
    await refused(call('PATCH', '/api/v1/projects/team', 'dev', { public: true }), 403, 'DENIED');
    await refused(
      call('PATCH', '/api/v1/projects/team', 'alice', { public: 'yes' }),
      400,
      'INVALID',
      /public/,
    );
    expect((await reg.accounts?.getProject('team'))?.public).toBe(false);
  });

  it('deletes a project only once no repository of it has a tag', async () => {
    await call('POST', '/api/v1/projects', 'admin', { name: 'tmp' });
    const manifest = Buffer.from('{"schemaVersion":2}');
    const digest = digestOf(manifest);
    await reg.metadata.putManifest(
      'tmp/app',
      { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length },
      ['v1'],
    );
    // A sibling whose name sorts between tmp and tmp/ must not count.
    await reg.metadata.putManifest(
      'tmp-x/app',
      { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length },
      ['v1'],
    );
    await refused(call('DELETE', '/api/v1/projects/tmp', 'admin'), 409, 'CONFLICT', /tmp\/app/);
    await refused(call('DELETE', '/api/v1/projects/tmp', 'alice'), 403, 'DENIED');
    await reg.metadata.deleteTag('tmp/app', 'v1');
    expect((await call('DELETE', '/api/v1/projects/tmp', 'admin')).status).toBe(204);
    await refused(call('GET', '/api/v1/projects/tmp', 'admin'), 404, 'NOT_FOUND');
  });
});

describe('members', () => {
  it('lists, sets and removes members for project administrators', async () => {
    const list = await call('GET', '/api/v1/projects/team/members', 'alice');
    expect(list.status).toBe(200);
    expect(list.json['members']).toContainEqual({ project: 'team', user: 'dev', role: 'developer' });
    const set = await call('PUT', '/api/v1/projects/team/members/bob', 'alice', { role: 'developer' });
    expect(set.json).toEqual({ project: 'team', user: 'bob', role: 'developer' });
    expect(await reg.accounts?.getRole('team', 'bob')).toBe('developer');
    expect((await call('PUT', '/api/v1/projects/team/members/bob', 'admin', { role: 'guest' })).status).toBe(
      200,
    );
    expect((await call('DELETE', '/api/v1/projects/team/members/bob', 'alice')).status).toBe(204);
    expect(await reg.accounts?.getRole('team', 'bob')).toBeUndefined();
  });

  it('refuses guests and developers, hides the project from outsiders', async () => {
    await refused(
      call('GET', '/api/v1/projects/team/members', 'guest'),
      403,
      'DENIED',
      /administrator of project team/,
    );
    await refused(
      call('PUT', '/api/v1/projects/team/members/bob', 'guest', { role: 'admin' }),
      403,
      'DENIED',
    );
    await refused(call('DELETE', '/api/v1/projects/team/members/dev', 'dev'), 403, 'DENIED');
    await refused(call('GET', '/api/v1/projects/team/members', 'bob'), 404, 'NOT_FOUND');
    expect(reg.audit?.query({ action: 'denied', actor: 'guest' })[0]).toMatchObject({ repository: 'team' });
    expect(await reg.accounts?.getRole('team', 'dev')).toBe('developer');
  });

  it('refuses unknown roles, users and memberships', async () => {
    await refused(
      call('PUT', '/api/v1/projects/team/members/bob', 'alice', { role: 'owner' }),
      400,
      'INVALID',
      /body\.role/,
    );
    await refused(
      call('PUT', '/api/v1/projects/team/members/nobody', 'alice', { role: 'guest' }),
      404,
      'NOT_FOUND',
    );
    await refused(call('DELETE', '/api/v1/projects/team/members/bob', 'alice'), 404, 'NOT_FOUND');
    await refused(call('GET', '/api/v1/projects/nothing/members', 'admin'), 404, 'NOT_FOUND');
  });
});

describe('robots', () => {
  let token = '';

  it('creates a robot whose token is shown once and works on /v2', async () => {
    const res = await call('POST', '/api/v1/projects/team/robots', 'alice', {
      name: 'ci',
      permissions: [{ repository: 'team/ci/*', actions: ['pull', 'push'] }],
      description: 'builds',
    });
    expect(res.status).toBe(201);
    const robot = res.json['robot'] as Record<string, unknown>;
    expect(robot).toMatchObject({
      name: 'robot$team+ci',
      project: 'team',
      permissions: [{ project: 'team', repository: 'team/ci/*', actions: ['pull', 'push'] }],
    });
    token = res.json['token'] as string;
    // The one answer meant to carry the token; it holds nothing else secret.
    const shown = answers.pop() ?? '';
    expect(shown).toContain(token);
    expect(shown).not.toContain(hashRobotToken(token));
    secrets.push(token, hashRobotToken(token));
    const basic = `Basic ${Buffer.from(`robot$team+ci:${token}`).toString('base64')}`;
    const tags = await fetch(`${reg.url}/v2/team/ci/app/tags/list`, { headers: { authorization: basic } });
    expect(tags.status).toBe(404); // allowed, nothing pushed yet
    const outside = await fetch(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: basic } });
    expect(outside.status).toBe(403);
  });

  it('refuses robots on the management API', async () => {
    const basic = `Basic ${Buffer.from(`robot$team+ci:${token}`).toString('base64')}`;
    await refused(call('GET', '/api/v1/projects', { authorization: basic }), 403, 'DENIED', /robots/);
    await refused(call('GET', '/api/v1/projects/team/robots', { authorization: basic }), 403, 'DENIED');
    expect(reg.audit?.query({ action: 'denied', actor: 'robot$team+ci' })[0]).toMatchObject({
      actorKind: 'robot',
    });
  });

  it('lists robots without their tokens', async () => {
    const res = await call('GET', '/api/v1/projects/team/robots', 'alice');
    const robots = res.json['robots'] as Record<string, unknown>[];
    expect(robots.map((r) => r['name'])).toEqual(['robot$team+ci']);
    expect(Object.keys(robots[0] ?? {})).not.toContain('token');
    expect(Object.keys(robots[0] ?? {})).not.toContain('tokenHash');
  });

  it('refuses bad robots and non-administrators', async () => {
    const post = (who: string, body: unknown) => call('POST', '/api/v1/projects/team/robots', who, body);
    await refused(post('dev', { name: 'x', permissions: [{ actions: ['pull'] }] }), 403, 'DENIED');
    await refused(post('alice', { name: 'ci', permissions: [{ actions: ['pull'] }] }), 409, 'ALREADY_EXISTS');
    await refused(
      post('alice', { name: 'x', permissions: [{ repository: 'other/app', actions: ['pull'] }] }),
      400,
      'INVALID',
      /inside project team/,
    );
    await refused(post('alice', { name: 'x', permissions: [] }), 400, 'INVALID', /body\.permissions/);
    await refused(post('alice', { name: 'x', permissions: [{ actions: ['fly'] }] }), 400, 'INVALID');
    await refused(
      post('alice', { name: 'x', permissions: [{ actions: ['pull'] }], expiresAt: '2001-01-01T00:00:00Z' }),
      400,
      'INVALID',
      /future/,
    );
    await refused(
      post('alice', { name: 'x', permissions: [{ actions: ['pull'] }], expiresAt: 'tomorrow' }),
      400,
      'INVALID',
      /expiresAt/,
    );
  });

  it('deletes a robot by short or login name; its token stops working', async () => {
    await refused(call('DELETE', '/api/v1/projects/team/robots/ci', 'guest'), 403, 'DENIED');
    await refused(call('DELETE', '/api/v1/projects/other/robots/ci', 'admin'), 404, 'NOT_FOUND');
    await refused(call('DELETE', '/api/v1/projects/team/robots/robot$other+ci', 'admin'), 400, 'INVALID');
    expect((await call('DELETE', '/api/v1/projects/team/robots/robot$team+ci', 'alice')).status).toBe(204);
    const basic = `Basic ${Buffer.from(`robot$team+ci:${token}`).toString('base64')}`;
    const res = await fetch(`${reg.url}/v2/team/ci/app/tags/list`, { headers: { authorization: basic } });
    expect(res.status).toBe(401);
    await refused(call('DELETE', '/api/v1/projects/team/robots/ci', 'alice'), 404, 'NOT_FOUND');
  });
});

describe('the answers', () => {
  it('match the OpenAPI document: each status is documented and each body fits its schema', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json', undefined)).json as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
      components: object;
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const base = 'https://portcullis.invalid/registry-api';
    ajv.addSchema({ $id: base, components: doc.components });
    const templates = Object.keys(doc.paths).map((t) => ({
      t,
      re: new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`),
    }));
    let checked = 0;
    for (const x of exchanges) {
      const pathname = x.path.split('?')[0] ?? '';
      const template = templates.find((c) => c.re.test(pathname))?.t;
      if (template === undefined) continue; // the 404 of an unknown route
      const op = doc.paths[template]?.[x.method.toLowerCase()];
      const response = op?.responses[String(x.status)];
      expect(response, `${x.method} ${template} ${x.status} is documented`).toBeDefined();
      const schema = response?.content?.['application/json']?.schema;
      if (schema === undefined) continue;
      // References in the document are #/components/...: resolve them against it.
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', `"${base}#/components/`),
      ) as object;
      const validate = ajv.compile(rebased);
      expect(
        validate(x.json),
        `${x.method} ${template} ${x.status}: ${JSON.stringify(validate.errors)}`,
      ).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('the audit of changes', () => {
  /** The `manage` records added since `since` (an audit id), oldest first, as `actor target status`. */
  function managedSince(since: number): string[] {
    const audit = reg.audit;
    if (audit === undefined) throw new Error('the test registry has an audit log');
    return audit
      .query({ action: 'manage', limit: 1000 })
      .filter((e) => e.id > since)
      .reverse()
      .map((e) => `${e.actor} ${e.target ?? '-'} ${String(e.status)} ${e.result}`);
  }
  const lastId = (): number => reg.audit?.query({ limit: 1 })[0]?.id ?? 0;

  it('records every successful change through the API with actor, what, result, status and client', async () => {
    const since = lastId();
    const carolPw = `c-${digestOf(Buffer.from(String(Math.random()))).slice(7, 27)}`;
    const carolNewPw = `c2-${digestOf(Buffer.from(String(Math.random()))).slice(7, 27)}`;
    secrets.push(carolPw, carolNewPw);
    const steps: [string, string, Who, unknown, number][] = [
      ['POST', '/api/v1/users', 'admin', { name: 'carol', password: carolPw }, 201],
      ['PUT', '/api/v1/users/carol/password', 'admin', { password: carolNewPw }, 204],
      ['PATCH', '/api/v1/users/carol', 'admin', { disabled: true }, 200],
      ['PATCH', '/api/v1/users/carol', 'admin', { disabled: false }, 200],
      ['PUT', '/api/v1/users/carol/system-admin', 'admin', undefined, 200],
      ['DELETE', '/api/v1/users/carol/system-admin', 'admin', undefined, 200],
      ['POST', '/api/v1/projects', 'admin', { name: 'audited' }, 201],
      ['PATCH', '/api/v1/projects/audited', 'admin', { public: true }, 200],
      ['PUT', '/api/v1/projects/audited/members/carol', 'admin', { role: 'admin' }, 200],
      ['PUT', '/api/v1/projects/audited/members/dev', 'carol', { role: 'developer' }, 200],
      ['DELETE', '/api/v1/projects/audited/members/dev', 'carol', undefined, 204],
      [
        'POST',
        '/api/v1/projects/audited/robots',
        'carol',
        { name: 'ci', permissions: [{ repository: 'audited/app', actions: ['pull', 'push'] }] },
        201,
      ],
      ['DELETE', '/api/v1/projects/audited/robots/ci', 'carol', undefined, 204],
      ['DELETE', '/api/v1/projects/audited', 'admin', undefined, 204],
      ['DELETE', '/api/v1/users/carol', 'admin', undefined, 204],
    ];
    for (const [method, path, who, body, status] of steps) {
      // carol logs in with the password the admin set.
      const as =
        who === 'carol'
          ? { authorization: `Basic ${Buffer.from(`carol:${carolNewPw}`).toString('base64')}` }
          : who;
      const res = await call(method, path, as, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      if (method === 'POST' && path.endsWith('/robots')) {
        // The creation answer carries the token by design (see the robots tests); the log must not.
        const token = res.json['token'] as string;
        answers.pop();
        secrets.push(token, hashRobotToken(token));
      }
    }
    expect(managedSince(since)).toEqual([
      'admin user:carol created 201 success',
      'admin user:carol password changed 204 success',
      'admin user:carol disabled 200 success',
      'admin user:carol enabled 200 success',
      'admin user:carol system administrator granted 200 success',
      'admin user:carol system administrator revoked 200 success',
      'admin project:audited created 201 success',
      'admin project:audited made public 200 success',
      'admin member:audited/carol set to admin 200 success',
      'carol member:audited/dev set to developer 200 success',
      'carol member:audited/dev removed 204 success',
      'carol robot:robot$audited+ci created (audited/app:pull,push) 201 success',
      'carol robot:robot$audited+ci deleted 204 success',
      'admin project:audited deleted 204 success',
      'admin user:carol deleted 204 success',
    ]);
    const record = reg.audit?.query({ action: 'manage', limit: 1 })[0];
    expect(record).toMatchObject({ actorKind: 'user', client: '127.0.0.1' });
    expect(reg.audit?.query({ action: 'manage', repository: 'audited', limit: 100 }).length).toBe(8);
  });

  it('records no change for a refused or failed request', async () => {
    const since = lastId();
    await refused(call('POST', '/api/v1/projects', 'bob', { name: 'nope' }), 403, 'DENIED');
    await refused(call('PATCH', '/api/v1/users/nobody', 'admin', { disabled: true }), 404, 'NOT_FOUND');
    await refused(call('DELETE', '/api/v1/users/admin', 'admin'), 409, 'CONFLICT');
    await refused(call('PUT', '/api/v1/projects/team/members/dev', 'dev', { role: 'admin' }), 403, 'DENIED');
    expect(managedSince(since)).toEqual([]);
  });

  it('gives every route that changes state a description of the change, and none that only reads', () => {
    for (const route of managementRoutes({ audit: reg.audit }))
      expect([route.method, route.path, route.audited]).toEqual([
        route.method,
        route.path,
        route.method !== 'GET',
      ]);
  });
});

describe('secrets', () => {
  it('never puts a password, password hash, token or token hash in an answer or the audit log', async () => {
    const accounts = reg.accounts;
    const audit = reg.audit;
    if (accounts === undefined || audit === undefined) throw new Error('the test registry has accounts');
    const hashes: string[] = [];
    for (const u of await accounts.listUsers()) {
      const creds = await accounts.getUserCredentials(u.name);
      if (creds !== undefined) hashes.push(creds.passwordHash);
    }
    expect(hashes.length).toBeGreaterThan(3);
    const log = [...audit.exportJsonLines()].join('\n');
    expect(log.length).toBeGreaterThan(0);
    const haystacks = [...answers, log];
    [...secrets, ...hashes].forEach((secret, i) => {
      haystacks.forEach((text, j) => {
        expect(
          text.includes(secret),
          `secret ${i} in ${j === answers.length ? 'the audit log' : `answer ${j}`}`,
        ).toBe(false);
      });
    });
    for (const text of haystacks) expect(text).not.toMatch(/\$argon2id\$/);
  });
});
