import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import type { StoredAuditEvent } from '../audit/audit-log.js';
import { SqliteAuditLog } from '../audit/sqlite.js';
import { addProject, addUser } from '../auth/accounts.js';
import { SqliteAccountStore } from '../auth/sqlite-store.js';
import { createTokenSigner, createTokenVerifier, generateSigningKey } from '../auth/token.js';
import { SqliteMetadataStore } from '../metadata/sqlite.js';
import { FilesystemBlobStore } from '../storage/filesystem.js';
import { startRegistryServer, type RegistryServer } from './server.js';

// The audit log end to end: a real server with authentication records pushes, pulls, denials,
// logins and token requests; GET /api/v1/audit serves them to system administrators only; the
// export is JSON lines; and no credential reaches any record.

const SERVICE = 'portcullis-audit-test';
// Test-only passwords; generated so no fixed secret sits in the repository.
const PW = {
  admin: `a-${randomBytes(9).toString('base64url')}`,
  dev: `d-${randomBytes(9).toString('base64url')}`,
  guest: `g-${randomBytes(9).toString('base64url')}`,
};
const WRONG = `w-${randomBytes(9).toString('base64url')}`;

let work: string;
let server: RegistryServer;
let metadata: SqliteMetadataStore;
let db: Database.Database;
let base: string;
/** Every secret a client sent; none may appear in the audit table. */
const secrets: string[] = [...Object.values(PW), WRONG];

const basicOf = (user: string, password: string): string => {
  const header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  secrets.push(header.slice('Basic '.length));
  return header;
};
const basic = (user: keyof typeof PW): string => basicOf(user, PW[user]);

async function events(query: string, user: keyof typeof PW = 'admin'): Promise<StoredAuditEvent[]> {
  const res = await fetch(`${base}/api/v1/audit?${query}`, { headers: { authorization: basic(user) } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: StoredAuditEvent[] }).events;
}

/** Pushes a one-layer image with Basic credentials; returns the response and manifest digest. */
async function push(user: keyof typeof PW, repository: string, tag: string) {
  const auth = { authorization: basic(user), 'user-agent': `audit-test/1 ${'x'.repeat(400)}` };
  const layer = randomBytes(256);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  for (const b of [layer, config]) {
    const res = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${digestOf(b)}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: b,
    });
    if (res.status !== 201) return { status: res.status, digest: undefined };
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerTar, digest: digestOf(layer), size: layer.length }],
    }),
  );
  const res = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': MediaType.ociManifest },
    body: manifest,
  });
  return { status: res.status, digest: digestOf(manifest) };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-registry-audit-'));
  const dbFile = path.join(work, 'data', 'registry.db');
  metadata = SqliteMetadataStore.open(dbFile);
  db = new Database(dbFile);
  const store = new SqliteAccountStore(db);
  await addUser(store, { name: 'admin', password: PW.admin, systemAdmin: true });
  for (const u of ['dev', 'guest'] as const) await addUser(store, { name: u, password: PW[u] });
  await addProject(store, { name: 'team' });
  await store.setMember('team', 'dev', 'developer');
  await store.setMember('team', 'guest', 'guest');
  const key = generateSigningKey();
  server = await startRegistryServer({
    host: '127.0.0.1',
    port: 0,
    blobs: new FilesystemBlobStore(path.join(work, 'data')),
    metadata,
    auth: {
      store,
      audit: new SqliteAuditLog(db),
      service: SERVICE,
      signer: createTokenSigner({ privateKey: key, issuer: SERVICE }),
      verifier: createTokenVerifier({ publicKeys: [key], issuer: SERVICE, audience: SERVICE }),
    },
  });
  base = server.url;
});

afterAll(async () => {
  await server.close();
  db.close();
  await metadata.close();
  await rm(work, { recursive: true, force: true });
});

describe('audit log', () => {
  let pushed: string | undefined;

  it('records a push with the digest, the actor and the client address', async () => {
    const res = await push('dev', 'team/app', 'v1');
    expect(res.status).toBe(201);
    pushed = res.digest;
    const [e] = await events('action=push&repository=team/app');
    expect(e).toMatchObject({
      actorKind: 'user',
      actor: 'dev',
      action: 'push',
      repository: 'team/app',
      reference: 'v1',
      digest: pushed,
      result: 'success',
      client: '127.0.0.1',
      status: 201,
    });
    expect(e?.userAgent?.startsWith('audit-test/1')).toBe(true);
    expect(e?.userAgent?.length).toBe(200);
  });

  it('records a pull by tag with the digest served', async () => {
    const res = await fetch(`${base}/v2/team/app/manifests/v1`, {
      headers: { authorization: basic('guest'), accept: MediaType.ociManifest },
    });
    expect(res.status).toBe(200);
    const [e] = await events('action=pull&actor=guest');
    expect(e).toMatchObject({ action: 'pull', reference: 'v1', digest: pushed, result: 'success' });
  });

  it('records a denied push with the reason', async () => {
    const res = await push('guest', 'team/app', 'v2');
    expect(res.status).toBe(403);
    const [e] = await events('action=denied&actor=guest');
    expect(e).toMatchObject({ action: 'denied', repository: 'team/app', result: 'failure', status: 403 });
    expect(e?.reason).toMatch(/push/);
  });

  it('records failed logins at /token and on /v2, and issued tokens', async () => {
    const bad = await fetch(`${base}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: basicOf('dev', WRONG) },
    });
    expect(bad.status).toBe(401);
    const v2 = await fetch(`${base}/v2/team/app/tags/list`, {
      headers: { authorization: basicOf('guest', WRONG) },
    });
    expect(v2.status).toBe(401);
    const good = await fetch(`${base}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: basic('guest') },
    });
    expect(good.status).toBe(200);
    secrets.push(((await good.json()) as { token: string }).token);
    const logins = await events('action=login');
    expect(logins.map((e) => [e.actor, e.reason, e.result])).toEqual([
      ['guest', 'wrong-secret', 'failure'],
      ['dev', 'wrong-secret', 'failure'],
    ]);
    const [token] = await events('action=token&actor=guest');
    expect(token).toMatchObject({ result: 'success', repository: 'team/app' });
    expect(token?.reason).toContain('repository:team/app:pull');
  });

  it('pulls with a bearer token are recorded under the token subject', async () => {
    const res = await fetch(`${base}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: basic('guest') },
    });
    const token = ((await res.json()) as { token: string }).token;
    secrets.push(token);
    const pull = await fetch(`${base}/v2/team/app/manifests/${pushed ?? ''}`, {
      headers: { authorization: `Bearer ${token}`, accept: MediaType.ociManifest },
    });
    expect(pull.status).toBe(200);
    const [e] = await events('action=pull');
    expect(e).toMatchObject({ actor: 'guest', reference: pushed, digest: pushed });
  });

  it('serves the audit API to system administrators only, with paging and filters', async () => {
    expect((await fetch(`${base}/api/v1/audit`)).status).toBe(401);
    const wrong = await fetch(`${base}/api/v1/audit`, {
      headers: { authorization: basicOf('admin', WRONG) },
    });
    expect(wrong.status).toBe(401);
    for (const user of ['dev', 'guest'] as const) {
      const res = await fetch(`${base}/api/v1/audit`, { headers: { authorization: basic(user) } });
      expect(res.status).toBe(403);
    }
    const bad = await fetch(`${base}/api/v1/audit?action=explode`, {
      headers: { authorization: basic('admin') },
    });
    expect(bad.status).toBe(400);
    const page = await fetch(`${base}/api/v1/audit?limit=1`, { headers: { authorization: basic('admin') } });
    const first = (await page.json()) as { events: StoredAuditEvent[]; next?: number };
    expect(first.events).toHaveLength(1);
    expect(first.next).toBe(first.events[0]?.id);
    const older = await events(`limit=1&before=${first.next ?? 0}`);
    expect(older[0]?.id).toBeLessThan(first.next ?? 0);
    expect(await events('since=2999-01-01T00:00:00Z')).toEqual([]);
    const denied = await events('action=denied&actor=dev');
    expect(denied[0]?.reason).toMatch(/system administrator/);
  });

  it('records a delete by digest, and a delete refused to a developer', async () => {
    const extra = await push('dev', 'team/app', 'v3');
    expect(extra.status).toBe(201);
    const url = `${base}/v2/team/app/manifests/${extra.digest ?? ''}`;
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: basic('dev') } })).status).toBe(
      403,
    );
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: basic('admin') } })).status).toBe(
      202,
    );
    const [e] = await events('action=delete');
    expect(e).toMatchObject({ actor: 'admin', digest: extra.digest, result: 'success', status: 202 });
    const [d] = await events('action=denied&actor=dev&repository=team/app');
    expect(d).toMatchObject({ reference: extra.digest, status: 403 });
    expect(d?.reason).toMatch(/delete/);
  });

  it('exports JSON lines, oldest first, matching the query', async () => {
    const res = await fetch(`${base}/api/v1/audit/export`, { headers: { authorization: basic('admin') } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredAuditEvent);
    const all = await events('limit=1000');
    expect(lines.map((e) => e.id)).toEqual(all.map((e) => e.id).reverse());
    const pushes = await fetch(`${base}/api/v1/audit/export?action=push`, {
      headers: { authorization: basic('admin') },
    });
    const pushLines = (await pushes.text()).trimEnd().split('\n');
    expect(pushLines.map((l) => (JSON.parse(l) as StoredAuditEvent).action)).toEqual(['push', 'push']);
  });

  it('never records a password, token or Authorization header value', () => {
    const dump = JSON.stringify(db.prepare('SELECT * FROM audit_events').all());
    expect(dump.length).toBeGreaterThan(100);
    expect(secrets.length).toBeGreaterThan(8);
    for (const s of secrets) expect(dump.includes(s)).toBe(false);
    expect(dump.toLowerCase()).not.toMatch(/basic |bearer /);
  });
});
