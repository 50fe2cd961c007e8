import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireCommand } from '../../testing/registry.js';
import { selfSignedCertificate } from '../../testing/token-issuer.js';
import { addProject, addRobot, addUser } from './accounts.js';
import { parseAuthorization } from './http-auth.js';
import { answerTokenRequest } from './token-service.js';
import { authenticateBasic, grantAccess } from './authenticate.js';
import { parseScopes } from './scope.js';
import { SqliteAccountStore } from './sqlite-store.js';
import { createTokenSigner, generateSigningKey, issueToken, type TokenSigner } from './token.js';
import { ANONYMOUS, type Subject } from './types.js';

// Interoperability: Debian's docker-registry (CNCF distribution 2.8) configured to trust our
// signing key through its rootcertbundle must accept the tokens we issue, and enforce exactly
// the actions in their access claim. Tokens carry no x5c, so distribution finds the key by its
// libtrust key id in the `kid` header, which checks that computation too.

const SERVICE = 'portcullis-interop';
const ISSUER = 'portcullis-auth-test';

let dir: string;
let child: ChildProcess | undefined;
let base: string;
let signer: TokenSigner;
let db: Database.Database;
let store: SqliteAccountStore;
let robotToken: string;

// exitCode is null in Node's API while the process runs.
const hasExited = (proc: ChildProcess): boolean =>
  typeof proc.exitCode === 'number' || typeof proc.signalCode === 'string';

async function waitForRegistry(url: string, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (hasExited(proc)) throw new Error(`docker-registry exited: ${output().slice(0, 2000)}`);
    const status = await fetch(`${url}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer: ${output().slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  requireCommand('docker-registry', 'docker-registry');
  requireCommand('openssl', 'openssl');
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-auth-interop-'));
  const key = generateSigningKey();
  signer = createTokenSigner({ privateKey: key, issuer: ISSUER });
  const { certPath } = await selfSignedCertificate(key, dir, 'portcullis');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} }`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      'auth:',
      '  token:',
      '    realm: http://127.0.0.1:9/token',
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${JSON.stringify(certPath)}`,
      '',
    ].join('\n'),
  );
  let output = '';
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  proc.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  proc.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  await waitForRegistry(base, proc, () => output);

  db = new Database(':memory:');
  store = new SqliteAccountStore(db);
  await addProject(store, { name: 'team' });
  await addUser(store, { name: 'guest', password: 'guest-password-1' });
  await addUser(store, { name: 'dev', password: 'dev-password-1' });
  await store.setMember('team', 'guest', 'guest');
  await store.setMember('team', 'dev', 'developer');
  robotToken = (
    await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull'] }],
    })
  ).token;
}, 60_000);

afterAll(async () => {
  const proc = child;
  if (proc !== undefined && !hasExited(proc)) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  db.close();
  await rm(dir, { recursive: true, force: true });
});

async function login(user: string, password: string): Promise<Subject> {
  const r = await authenticateBasic(store, user, password);
  if (!r.ok) throw new Error(`login of ${user} failed: ${r.reason}`);
  return r.subject;
}

async function tokenFor(subject: Subject, scopes: string[], audience = SERVICE): Promise<string> {
  const access = await grantAccess(store, subject, parseScopes(scopes));
  const subjectName = subject.kind === 'anonymous' ? '' : subject.name;
  return (await issueToken(signer, { subject: subjectName, audience, access })).token;
}

function call(method: string, route: string, token?: string): Promise<Response> {
  return fetch(`${base}${route}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

describe('tokens we issue, checked by distribution', () => {
  it('a pull token is accepted for pull; without a token the registry challenges', async () => {
    const token = await tokenFor(await login('guest', 'guest-password-1'), ['repository:team/app:pull,push']);
    // Authorized but the repository is empty: distribution answers NAME_UNKNOWN, not 401.
    expect((await call('GET', '/v2/team/app/tags/list', token)).status).toBe(404);
    const anonymous = await call('GET', '/v2/team/app/tags/list');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain(`service="${SERVICE}"`);
  });

  it('the guest token, granted pull only, is refused for push', async () => {
    const token = await tokenFor(await login('guest', 'guest-password-1'), ['repository:team/app:pull,push']);
    const res = await call('POST', '/v2/team/app/blobs/uploads/', token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it("a developer's token, granted push, starts an upload", async () => {
    const token = await tokenFor(await login('dev', 'dev-password-1'), ['repository:team/app:pull,push']);
    const res = await call('POST', '/v2/team/app/blobs/uploads/', token);
    expect(res.status).toBe(202);
  });

  it('an anonymous token for a private project carries nothing and is refused', async () => {
    const token = await tokenFor(ANONYMOUS, ['repository:team/app:pull']);
    expect((await call('GET', '/v2/team/app/tags/list', token)).status).toBe(401);
  });

  it('a token with a tampered signature or for another service is refused', async () => {
    const token = await tokenFor(await login('dev', 'dev-password-1'), ['repository:team/app:pull']);
    const [h, p, s] = token.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}`;
    expect((await call('GET', '/v2/team/app/tags/list', tampered)).status).toBe(401);
    const other = await tokenFor(
      await login('dev', 'dev-password-1'),
      ['repository:team/app:pull'],
      'other-service',
    );
    expect((await call('GET', '/v2/team/app/tags/list', other)).status).toBe(401);
  });

  it('the catalog scope is accepted', async () => {
    const token = await tokenFor(await login('dev', 'dev-password-1'), ['registry:catalog:*']);
    expect((await call('GET', '/v2/_catalog', token)).status).toBe(200);
  });

  it('a robot token from the /token decision pulls and cannot push', async () => {
    const out = await answerTokenRequest(
      { store, signer, service: SERVICE },
      {
        credentials: parseAuthorization(
          `Basic ${Buffer.from(`robot$team+ci:${robotToken}`).toString('base64')}`,
        ),
        service: SERVICE,
        scopes: ['repository:team/app:pull,push'],
      },
    );
    if (!out.ok) throw new Error(out.message);
    expect((await call('GET', '/v2/team/app/tags/list', out.body.token)).status).toBe(404);
    expect((await call('POST', '/v2/team/app/blobs/uploads/', out.body.token)).status).toBe(401);
  });
});
