import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger, digestOf, parseDigest, type Digest } from '../../core/index.js';
import { startProxy } from '../../testing/http-proxy.js';
import {
  buildTestImages,
  layoutDescriptor,
  pushLayoutTag,
  readLayoutBlob,
  writeAuthFile,
} from '../../testing/oci-images.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { OciError } from '../errors.js';
import { imageManifestSchema, type Descriptor } from '../schema.js';
import { RegistryClient } from './client.js';
import { createDockerConfigCredentialStore, createStaticCredentialStore } from './credentials.js';

async function rejection(p: Promise<unknown>): Promise<OciError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OciError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`)).toString('utf8').replace(/\0/g, ' ');
}

const fast = { retryDelayMs: { base: 10, max: 2000 } } as const;
const REFRESH_TOKEN = `refresh-${randomBytes(8).toString('hex')}`;
// Short-lived tokens, so that expiry can be observed within the test.
const TOKEN_TTL_SECONDS = 3;

let basic: TestRegistry;
let token: TestRegistry;
let work: string;
let layout: string;
let manifestDigest: Digest;
let layer: Descriptor;
let layerBytes: Buffer;

function user(r: TestRegistry): { username: string; password: string } {
  if (r.username === undefined || r.password === undefined) throw new Error('registry has no user');
  return { username: r.username, password: r.password };
}

function staticCredentials(r: TestRegistry, password = user(r).password) {
  return createStaticCredentialStore(r.host, { kind: 'basic', username: user(r).username, password });
}

beforeAll(async () => {
  [basic, token] = await Promise.all([
    startRegistry({ auth: 'htpasswd' }),
    startRegistry({
      auth: 'token',
      tokenTtlSeconds: TOKEN_TTL_SECONDS,
      refreshTokens: [REFRESH_TOKEN],
      // The test user may pull from read-only/*, but not push there.
      grant: (u, repo, requested) =>
        u === undefined
          ? []
          : repo.startsWith('read-only/')
            ? requested.filter((a) => a === 'pull')
            : requested,
    }),
  ]);
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-auth-test-'));
  layout = path.join(work, 'layout');
  await buildTestImages(layout, [{ tag: 'v1', files: { 'etc/auth': randomBytes(4096) } }], work);
  for (const r of [basic, token]) {
    const authFile = path.join(work, `auth-${r.host.replace(':', '_')}.json`);
    await writeAuthFile(authFile, r.host, user(r).username, user(r).password);
    await pushLayoutTag(layout, 'v1', `${r.host}/team/app:v1`, { authFile });
    await pushLayoutTag(layout, 'v1', `${r.host}/other/app:v1`, { authFile });
  }
  const d = await layoutDescriptor(layout, 'v1');
  manifestDigest = parseDigest(d.digest);
  const manifest = imageManifestSchema.parse(
    JSON.parse((await readLayoutBlob(layout, d.digest)).toString('utf8')),
  );
  const first = manifest.layers[0];
  if (first === undefined) throw new Error('no layer');
  layer = first;
  layerBytes = await readLayoutBlob(layout, layer.digest);
});

afterAll(async () => {
  await Promise.all([basic.stop(), token.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe('Basic authentication (htpasswd)', () => {
  it('pulls with the right password', async () => {
    const client = new RegistryClient({ ...fast, credentials: staticCredentials(basic) });
    const m = await client.getManifest({ registry: basic.host, repository: 'team/app', tag: 'v1' });
    expect(m.digest).toBe(manifestDigest);
    client.close();
  });

  it('reports a wrong password as UNAUTHORIZED naming registry and user, never the password', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const logger = createMemoryLogger();
    const client = new RegistryClient({ ...fast, logger, credentials: staticCredentials(basic, wrong) });
    const err = await rejection(
      client.getManifest({ registry: basic.host, repository: 'team/app', tag: 'v1' }),
    );
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain(basic.host);
    expect(err.message).toContain(`user "${user(basic).username}"`);
    expect(err.message).toContain(`from the credentials supplied for ${basic.host}`);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(logger.entries)).not.toContain(wrong);
    client.close();
  });

  it('says that credentials are missing when there are none', async () => {
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: basic.host, repository: 'team/app', tag: 'v1' }),
    );
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toMatch(/no credentials were found/);
    client.close();
  });

  it('never sends Authorization to the host a blob download is redirected to', async () => {
    const seen: (string | undefined)[] = [];
    // 127.0.0.2 is loopback too, but another host than the registry's 127.0.0.1.
    const cdn = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': String(layerBytes.length) }).end(layerBytes);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.2', r));
    const cdnPort = (cdn.address() as AddressInfo).port;
    const proxy = await startProxy(basic.host, (req, res, forward) => {
      if (req.method === 'GET' && req.url?.includes('/blobs/') && req.headers.authorization !== undefined) {
        res.writeHead(307, { location: `http://127.0.0.2:${cdnPort}/storage/blob?sig=x` }).end();
      } else {
        forward();
      }
    });
    try {
      const client = new RegistryClient({
        ...fast,
        credentials: createStaticCredentialStore(proxy.host, { kind: 'basic', ...user(basic) }),
      });
      const bytes = await readAll(
        await client.openBlob({ registry: proxy.host, repository: 'team/app' }, layer),
      );
      expect(bytes.equals(layerBytes)).toBe(true);
      expect(seen).toEqual([undefined]);
      expect(
        proxy.requests.some(
          (r) => r.url.includes('/blobs/') && r.headers.authorization?.startsWith('Basic ') === true,
        ),
      ).toBe(true);
      client.close();
    } finally {
      await proxy.stop();
      cdn.closeAllConnections();
      await new Promise<void>((r) => {
        cdn.close(() => {
          r();
        });
      });
    }
  });
});

describe('token authentication', () => {
  it('pulls with a bearer token and asks for one token per scope, reusing it until it expires', async () => {
    const issuer = token.tokenIssuer;
    if (issuer === undefined) throw new Error('no issuer');
    const before = issuer.requests.length;
    const client = new RegistryClient({ ...fast, credentials: staticCredentials(token) });
    const ref = { registry: token.host, repository: 'team/app' };
    await client.getManifest({ ...ref, tag: 'v1' });
    await client.getManifest({ ...ref, digest: manifestDigest });
    await readAll(await client.openBlob(ref, layer));
    const pullTeam = issuer.requests.slice(before);
    expect(pullTeam).toHaveLength(1);
    expect(pullTeam[0]).toMatchObject({
      method: 'GET',
      user: user(token).username,
      scopes: ['repository:team/app:pull'],
      status: 200,
    });

    await client.getManifest({ registry: token.host, repository: 'other/app', tag: 'v1' });
    expect(await client.blobExists(ref, layer.digest)).toBe(true);
    expect(issuer.requests.slice(before).map((r) => r.scopes.join(' '))).toEqual([
      'repository:team/app:pull',
      'repository:other/app:pull',
    ]);

    await new Promise((r) => setTimeout(r, TOKEN_TTL_SECONDS * 1000));
    await client.getManifest({ ...ref, tag: 'v1' });
    expect(issuer.requests.slice(before)).toHaveLength(3);
    client.close();
  });

  it('exchanges an identity token for an access token with a POST', async () => {
    const issuer = token.tokenIssuer;
    if (issuer === undefined) throw new Error('no issuer');
    const before = issuer.requests.length;
    const client = new RegistryClient({
      ...fast,
      credentials: createStaticCredentialStore(token.host, {
        kind: 'identityToken',
        username: user(token).username,
        token: REFRESH_TOKEN,
      }),
    });
    const m = await client.getManifest({ registry: token.host, repository: 'team/app', tag: 'v1' });
    expect(m.digest).toBe(manifestDigest);
    expect(issuer.requests.slice(before)).toEqual([
      {
        method: 'POST',
        scopes: ['repository:team/app:pull'],
        user: user(token).username,
        grantType: 'refresh_token',
        status: 200,
      },
    ]);
    client.close();
  });

  it('reports a password the token service rejects as UNAUTHORIZED without repeating it', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const client = new RegistryClient({ ...fast, credentials: staticCredentials(token, wrong) });
    const err = await rejection(
      client.getManifest({ registry: token.host, repository: 'team/app', tag: 'v1' }),
    );
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain(token.host);
    expect(err.message).toContain('token service');
    expect(err.message).not.toContain(wrong);
    client.close();
  });

  it('reports anonymous access to a private repository as missing credentials', async () => {
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: token.host, repository: 'team/app', tag: 'v1' }),
    );
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toMatch(/no credentials were found/);
    client.close();
  });

  it('reports a push the token does not grant as UNAUTHORIZED naming the scope', async () => {
    const client = new RegistryClient({ ...fast, credentials: staticCredentials(token) });
    const blob = Buffer.from('not allowed here');
    const err = await rejection(
      client.pushBlob(
        { registry: token.host, repository: 'read-only/app' },
        { digest: digestOf(blob), size: blob.length },
        () => blob,
      ),
    );
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain('repository:read-only/app:pull,push');
    client.close();
  });
});

describe('credentials from a Docker config with a credential helper', () => {
  it('logs in through docker-credential-<name> without the password on any command line or in logs', async () => {
    const dir = path.join(work, 'docker-config');
    const bin = path.join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    const { username, password } = user(token);
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ credHelpers: { [token.host]: 'ptest' } }),
    );
    await writeFile(
      path.join(dir, 'answer.json'),
      JSON.stringify({ ServerURL: token.host, Username: username, Secret: password }),
      { mode: 0o600 },
    );
    // The helper records what it was asked and its own command line, then answers from a file.
    await writeFile(
      path.join(bin, 'docker-credential-ptest'),
      [
        '#!/bin/sh',
        `read -r url`,
        `printf '%s' "$url" > "${dir}/asked"`,
        `cat /proc/$$/cmdline > "${dir}/helper-cmdline"`,
        `cat "${dir}/answer.json"`,
        '',
      ].join('\n'),
    );
    await chmod(path.join(bin, 'docker-credential-ptest'), 0o755);
    const logger = createMemoryLogger();
    const store = createDockerConfigCredentialStore({
      configDir: dir,
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      logger,
    });
    const client = new RegistryClient({ ...fast, credentials: store, logger });
    const m = await client.getManifest({ registry: token.host, repository: 'team/app', tag: 'v1' });
    expect(m.digest).toBe(manifestDigest);
    expect(await readFile(path.join(dir, 'asked'), 'utf8')).toBe(token.host);
    const helperArgv = (await readFile(path.join(dir, 'helper-cmdline'))).toString('utf8');
    expect(helperArgv).toContain('docker-credential-ptest');
    expect(helperArgv).not.toContain(password);
    expect(await cmdline(token.pid)).not.toContain(password);
    expect(await cmdline(basic.pid)).not.toContain(user(basic).password);
    expect(await cmdline(process.pid)).not.toContain(password);
    expect(JSON.stringify(logger.entries)).not.toContain(password);
    expect(logger.entries.length).toBeGreaterThan(0);
    client.close();
  });
});
