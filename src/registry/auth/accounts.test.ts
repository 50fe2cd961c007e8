import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addProject, addRobot, addUser, ensureAdmin, parseRole, setUserPassword } from './accounts.js';
import { authenticateBasic, checkAccess, grantAccess } from './authenticate.js';
import { parseScopes } from './scope.js';
import { AUTH_SCHEMA_VERSION, SqliteAccountStore } from './sqlite-store.js';
import { ANONYMOUS, type Subject } from './types.js';

let dir: string;
let file: string;
let db: Database.Database;
let store: SqliteAccountStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-auth-'));
  file = path.join(dir, 'registry.db');
  db = new Database(file);
  store = new SqliteAccountStore(db);
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

function reopen(): void {
  db.close();
  db = new Database(file);
  store = new SqliteAccountStore(db);
}

/** Every text value in every table of the database file, for looking for secrets in clear. */
function allStoredText(): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  return tables
    .flatMap((t) => db.prepare(`SELECT * FROM "${t.name}"`).all() as Record<string, unknown>[])
    .map((row) => JSON.stringify(row))
    .join('\n');
}

async function subjectOf(username: string, secret: string, now?: number): Promise<Subject> {
  const r = await authenticateBasic(store, username, secret, now === undefined ? {} : { now });
  if (!r.ok) throw new Error(`authentication of ${username} failed: ${r.reason}`);
  return r.subject;
}

describe('the SQLite account store', () => {
  it('keeps users, projects, members and robots across a reopen', async () => {
    await addUser(store, { name: 'alice', password: 'alice-password-1' });
    await addProject(store, { name: 'team', public: true });
    await store.setMember('team', 'alice', 'developer');
    const { token } = await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', repository: 'team/ci/*', actions: ['push', 'pull'] }],
      expiresAt: new Date('2099-01-01T00:00:00Z'),
      description: 'builds',
    });
    reopen();
    expect(await store.getUser('alice')).toMatchObject({
      name: 'alice',
      systemAdmin: false,
      disabled: false,
    });
    expect(await store.getProject('team')).toMatchObject({ name: 'team', public: true });
    expect(await store.getRole('team', 'alice')).toBe('developer');
    expect(await store.listRobots('team')).toEqual([
      expect.objectContaining({
        name: 'robot$team+ci',
        project: 'team',
        permissions: [{ project: 'team', repository: 'team/ci/*', actions: ['pull', 'push'] }],
        expiresAt: '2099-01-01T00:00:00.000Z',
        description: 'builds',
      }),
    ]);
    expect((await authenticateBasic(store, 'alice', 'alice-password-1')).ok).toBe(true);
    expect((await authenticateBasic(store, 'robot$team+ci', token)).ok).toBe(true);
    const version = db.prepare('SELECT version FROM auth_schema_version').get() as { version: number };
    expect(version.version).toBe(AUTH_SCHEMA_VERSION);
  });

  it('shares a database file with other tables and refuses a newer schema', () => {
    db.exec('CREATE TABLE metadata_things (x TEXT)');
    reopen();
    db.prepare('UPDATE auth_schema_version SET version = ?').run(AUTH_SCHEMA_VERSION + 1);
    expect(() => new SqliteAccountStore(db)).toThrow(
      expect.objectContaining({ code: 'STORE_INCOMPATIBLE' }) as Error,
    );
  });

  it('stores no password or robot token in clear, anywhere', async () => {
    const password = 'very-secret-password-42';
    await addUser(store, { name: 'alice', password });
    await setUserPassword(store, 'alice', `${password}-new`);
    await addProject(store, { name: 'team' });
    const { token } = await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull'] }],
    });
    const boot = await ensureAdmin(store);
    expect(boot.created).toBe(false);
    const text = allStoredText();
    expect(text).not.toContain(password);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4, 24));
    expect(text).toContain('$argon2id$');
    expect(text).toContain('sha256:');
  });

  it('refuses duplicates, unknown targets and bad names with coded errors', async () => {
    await addUser(store, { name: 'alice', password: 'alice-password-1' });
    await expect(addUser(store, { name: 'alice', password: 'another-password' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(addUser(store, { name: 'Alice', password: 'another-password' })).rejects.toMatchObject({
      code: 'NAME_INVALID',
    });
    await expect(
      addUser(store, { name: "x'; DROP TABLE auth_users; --", password: 'pw-pw-pw-pw' }),
    ).rejects.toMatchObject({
      code: 'NAME_INVALID',
    });
    await expect(addProject(store, { name: 'a/b' })).rejects.toMatchObject({ code: 'NAME_INVALID' });
    await expect(store.setMember('ghost', 'alice', 'guest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await addProject(store, { name: 'team' });
    await expect(store.setMember('team', 'bob', 'guest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.createProject({ name: 'team', public: true })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(store.deleteRobot('robot$team+none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => parseRole('owner')).toThrow(
      expect.objectContaining({ code: 'PERMISSION_INVALID' }) as Error,
    );
    await expect(
      addRobot(store, {
        name: 'ci',
        project: 'team',
        permissions: [{ project: 'other', actions: ['pull'] }],
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_INVALID' });
    await expect(
      addRobot(store, {
        name: 'ci',
        project: 'team',
        permissions: [{ project: 'team', repository: 'other/x', actions: ['pull'] }],
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_INVALID' });
    await expect(addRobot(store, { name: 'ci', project: 'team', permissions: [] })).rejects.toMatchObject({
      code: 'PERMISSION_INVALID',
    });
    await expect(
      addRobot(store, {
        name: 'ci',
        project: 'ghost',
        permissions: [{ project: 'ghost', actions: ['pull'] }],
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes memberships and robots with their project, and memberships with their user', async () => {
    await addUser(store, { name: 'alice', password: 'alice-password-1' });
    await addProject(store, { name: 'team' });
    await store.setMember('team', 'alice', 'admin');
    await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull'] }],
    });
    await store.deleteProject('team');
    expect(await store.listRobots()).toEqual([]);
    await addProject(store, { name: 'team' });
    expect(await store.getRole('team', 'alice')).toBeUndefined();
    await store.setMember('team', 'alice', 'guest');
    await store.deleteUser('alice');
    expect(await store.listMembers('team')).toEqual([]);
  });
});

describe('bootstrap', () => {
  it('creates admin with the given password once', async () => {
    const first = await ensureAdmin(store, { password: 'given-admin-pw' });
    expect(first).toMatchObject({
      created: true,
      generatedPassword: undefined,
      user: { name: 'admin', systemAdmin: true },
    });
    expect((await ensureAdmin(store, { password: 'other-admin-pw' })).created).toBe(false);
    expect((await authenticateBasic(store, 'admin', 'given-admin-pw')).ok).toBe(true);
    expect((await authenticateBasic(store, 'admin', 'other-admin-pw')).ok).toBe(false);
  });

  it('creates admin with a random password returned once, and keeps it after a reopen', async () => {
    const r = await ensureAdmin(store);
    if (!r.created || r.generatedPassword === undefined) throw new Error('expected a generated password');
    expect(r.generatedPassword.length).toBeGreaterThanOrEqual(20);
    reopen();
    expect((await ensureAdmin(store)).created).toBe(false);
    const subject = await subjectOf('admin', r.generatedPassword);
    expect(await checkAccess(store, subject, 'delete', 'any/repo')).toMatchObject({
      allowed: true,
      reason: 'system-admin',
    });
    expect(allStoredText()).not.toContain(r.generatedPassword);
  });

  it('refuses a too-short given password without echoing it', async () => {
    await expect(ensureAdmin(store, { password: 'abc12' })).rejects.toMatchObject({
      code: 'PASSWORD_INVALID',
    });
    await ensureAdmin(store, { password: 'abc12' }).catch((err: unknown) => {
      expect((err as Error).message).not.toContain('abc12');
    });
    expect(await store.listUsers()).toEqual([]);
  });
});

describe('authentication', () => {
  const NOW = Date.parse('2026-06-01T00:00:00Z');

  it('tells the audit log why a login failed, never echoing the secret', async () => {
    await addUser(store, { name: 'alice', password: 'alice-password-1' });
    await addProject(store, { name: 'team' });
    const { token } = await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull'] }],
      expiresAt: new Date(NOW + 1000),
    });
    const cases: [string, string, string][] = [
      ['alice', 'wrong-password-1', 'wrong-secret'],
      ['nobody', 'alice-password-1', 'unknown-account'],
      ['NOT A NAME', 'alice-password-1', 'unknown-account'],
      ['robot$team+ci', `${token}x`, 'wrong-secret'],
      ['robot$team+ci', token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 'wrong-secret'],
      ['robot$team+nope', token, 'unknown-account'],
      ['robot$../x', token, 'unknown-account'],
    ];
    for (const [user, secret, reason] of cases) {
      const r = await authenticateBasic(store, user, secret, { now: NOW });
      expect(r).toMatchObject({ ok: false, reason });
      expect(JSON.stringify(r)).not.toContain(secret);
    }
    expect(await authenticateBasic(store, 'robot$team+ci', token, { now: NOW + 1000 })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    await store.updateUser('alice', { disabled: true });
    expect(await authenticateBasic(store, 'alice', 'alice-password-1')).toMatchObject({
      ok: false,
      reason: 'disabled',
    });
    await store.setRobotDisabled('robot$team+ci', true);
    expect(await authenticateBasic(store, 'robot$team+ci', token, { now: NOW })).toMatchObject({
      ok: false,
      reason: 'disabled',
    });
  });

  it('grants token access per role, robot scope and public flag', async () => {
    await addUser(store, { name: 'dev', password: 'dev-password-1' });
    await addProject(store, { name: 'team' });
    await addProject(store, { name: 'pub', public: true });
    await store.setMember('team', 'dev', 'developer');
    const { token } = await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', repository: 'team/app', actions: ['pull'] }],
      expiresAt: new Date(NOW + 60_000),
    });
    const scopes = parseScopes([
      'repository:team/app:pull,push,delete',
      'repository:team/other:pull',
      'repository:pub/base:pull,push',
      'repository:ghost/x:pull',
      'registry:catalog:*',
    ]);
    const dev = await subjectOf('dev', 'dev-password-1');
    expect(await grantAccess(store, dev, scopes, { now: NOW })).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team/other', actions: ['pull'] },
      { type: 'repository', name: 'pub/base', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    const robot = await subjectOf('robot$team+ci', token, NOW);
    expect(await grantAccess(store, robot, scopes, { now: NOW })).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    // A token verified earlier does not outlive the robot's expiry at grant time.
    expect(await grantAccess(store, robot, scopes, { now: NOW + 60_000 })).toEqual([]);
    expect(await grantAccess(store, ANONYMOUS, scopes, { now: NOW })).toEqual([
      { type: 'repository', name: 'pub/base', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });
});
