import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import { parsePolicy } from '../../policy/index.js';
import { FilesystemBlobStore } from '../../registry/index.js';
import {
  buildSignatureManifest,
  parseSignatureManifest,
  parseTrustedRoot,
  signatureTag,
} from '../../signing/index.js';
import { openServeStores, type ServeStores } from '../../testing/portcullis-registry.js';
import { sharedData } from '../../testing/fixtures.js';
import { buildTestImages, pushLayoutTag, runCommand } from '../../testing/oci-images.js';
import { trivyFixtureRecords } from '../../testing/trivy-fixture-db.js';
import { openVulnDb } from '../../vulndb/index.js';
import { startRegistryRuntime, TOKEN_KEY_FILE } from './runtime.js';

// The server layer on real stores: the registry answers, the token key is created, pushes reach
// the scan worker through the hooks, the gates read what the worker stored, and close stops the
// server before the worker. Trivy's alpine 3.10 test image and its fixture database
// (../shared/data): openssl 1.1.1c-r0 there has CVE-2019-1549 and CVE-2019-1551.

const PASSWORD = `pw-${randomBytes(12).toString('base64url')}`;

let work: string;
let layout: string;
let vulnDb: string;
let fixtureDb: string;
let alpineTar: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-runtime-'));
  layout = path.join(work, 'layout');
  await buildTestImages(layout, [{ tag: 'v1', files: { 'etc/app.txt': randomBytes(64) } }], work);
  // An empty database: enough for scans to run (and find nothing).
  vulnDb = path.join(work, 'vuln.db');
  openVulnDb(vulnDb).close();
  fixtureDb = path.join(work, 'fixture.db');
  const db = openVulnDb(fixtureDb);
  try {
    db.importRecords(trivyFixtureRecords(), {
      name: 'trivy-fixture-db',
      kind: 'test',
      location: 'fixture-db',
    });
  } finally {
    db.close();
  }
  // skopeo's docker-archive reader does not take a gzip-compressed archive.
  alpineTar = path.join(work, 'alpine-310.tar');
  await pipeline(
    createReadStream(sharedData('image-fixtures', 'trivy-test-images', 'alpine-310.tar.gz')),
    createGunzip(),
    createWriteStream(alpineTar),
  );
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The stores `portcullis serve` opens on a data directory, with an admin. */
function openStores(name: string): Promise<ServeStores> {
  return openServeStores(path.join(work, name), PASSWORD);
}

const base = { host: '127.0.0.1', port: 0, service: 'portcullis-test' } as const;
const policy = (server: string) =>
  parsePolicy(`apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nserver:\n${server}`, 'p.yaml');

const ADMIN = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

async function authFileFor(url: string): Promise<string> {
  const host = new URL(url).host;
  const authFile = path.join(work, `auth-${randomBytes(4).toString('hex')}.json`);
  const auth = Buffer.from(`admin:${PASSWORD}`).toString('base64');
  await writeFile(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  return authFile;
}

async function pushAs(url: string, repository: string, tag = 'v1'): Promise<void> {
  const authFile = await authFileFor(url);
  await pushLayoutTag(layout, 'v1', `${new URL(url).host}/${repository}:${tag}`, { authFile });
}

async function pullStatus(url: string, repository: string, tag: string) {
  const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    headers: {
      authorization: ADMIN,
      accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  const body = await res.text();
  return { status: res.status, message: res.status === 200 ? '' : body };
}

describe('startRegistryRuntime', () => {
  it('serves the registry and scans what is pushed when the vulnerability database exists', async () => {
    const stores = await openStores('scanning');
    const runtime = await startRegistryRuntime({
      ...base,
      ...stores,
      vulnerabilityDb: vulnDb,
      policy: policy('  scan: { concurrency: 1 }\n'),
    });
    try {
      expect(runtime.notices).toEqual([
        `scanning pushed images against ${vulnDb} (1 at once)`,
        'no pull gates or immutable tags (no server.projects in a --config file)',
      ]);
      expect((await stat(path.join(stores.dataDir, TOKEN_KEY_FILE))).mode & 0o777).toBe(0o600);
      const worker = runtime.worker;
      if (worker === undefined) throw new Error('no scan worker');
      await pushAs(runtime.url, 'team/app');
      const digest = (await stores.metadata.resolveTag('team/app', 'v1')) as Digest;
      const scan = await worker.settled(digest);
      expect(scan).toMatchObject({ digest, status: 'done', findings: [] });
    } finally {
      await runtime.close();
      await stores.close();
    }
    // Stopped: nothing listens any more.
    await expect(fetch(`${runtime.url}/v2/`)).rejects.toThrow();
  });

  it('runs without scanning, and says so, when there is no database or scanning is off, and catches up later', async () => {
    const stores = await openStores('no-scan');
    const missing = path.join(work, 'nowhere', 'portcullis.db');
    const first = await startRegistryRuntime({ ...base, ...stores, vulnerabilityDb: missing });
    try {
      expect(first.worker).toBeUndefined();
      expect(first.notices).toEqual([
        `no vulnerability database at ${missing}: pushed images are not scanned (portcullis db update fetches one; restart serve afterwards)`,
        'no pull gates or immutable tags (no server.projects in a --config file)',
      ]);
      // Pushes still work without anyone to tell.
      await pushAs(first.url, 'team/plain');
      expect(await stores.metadata.resolveTag('team/plain', 'v1')).toMatch(/^sha256:/);
    } finally {
      await first.close();
    }
    const off = await startRegistryRuntime({
      ...base,
      ...stores,
      vulnerabilityDb: vulnDb,
      policy: policy('  scan: { onPush: false }\n'),
    });
    try {
      expect(off.worker).toBeUndefined();
      expect(off.notices[0]).toBe('scan-on-push is off (server.scan.onPush: false)');
    } finally {
      await off.close();
    }
    // Scanning again: what was pushed meanwhile is queued at start.
    const on = await startRegistryRuntime({ ...base, ...stores, vulnerabilityDb: vulnDb });
    try {
      expect(on.notices).toContain('queued for scanning: 1 stored manifests not scanned before');
      const digest = (await stores.metadata.resolveTag('team/plain', 'v1')) as Digest;
      expect(await on.worker?.settled(digest)).toMatchObject({ status: 'done' });
    } finally {
      await on.close();
      await stores.close();
    }
  });

  it('refuses pulls by what the worker found, lets tags be immutable, and takes another policy', async () => {
    const stores = await openStores('gated');
    const rules = parsePolicy(
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nrules:\n  - name: no-vulns\n    kind: vulnerabilities\n    failOn: low\n' +
        'server:\n  projects:\n    - name: team\n      pull: { rules: [no-vulns] }\n      immutableTags: [v*]\n',
      'p.yaml',
    );
    const runtime = await startRegistryRuntime({
      ...base,
      ...stores,
      vulnerabilityDb: fixtureDb,
      policy: rules,
    });
    try {
      expect(runtime.notices).toContain('pull gates and immutable tags for projects team');
      const authFile = await authFileFor(runtime.url);
      await runCommand('skopeo', [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        '--dest-authfile',
        authFile,
        `docker-archive:${alpineTar}`,
        `docker://${new URL(runtime.url).host}/team/alpine:v3.10`,
      ]);
      const digest = (await stores.metadata.resolveTag('team/alpine', 'v3.10')) as Digest;
      const scan = await runtime.worker?.settled(digest);
      expect(scan?.status).toBe('done');
      const refused = await pullStatus(runtime.url, 'team/alpine', 'v3.10');
      expect(refused.status).toBe(403);
      expect(refused.message).toContain('CVE-2019-1549');
      // The management API reads the same scan.
      const api = await fetch(`${runtime.url}/api/v1/repositories/team%2Falpine/manifests/${digest}/scan`, {
        headers: { authorization: ADMIN },
      });
      expect(api.status).toBe(200);
      expect(await api.text()).toContain('CVE-2019-1549');
      // The same image outside the gated project is served.
      await pushAs(runtime.url, 'other/app');
      expect((await pullStatus(runtime.url, 'other/app', 'v1')).status).toBe(200);
      // v3.10 may not be moved: the tag change goes through the same hooks.
      await expect(pushAs(runtime.url, 'team/alpine', 'v3.10')).rejects.toThrow();

      const line = runtime.reloadPolicy(policy('  scan: { concurrency: 1 }\n'));
      expect(line).toBe('no pull gates or immutable tags (no server.projects in a --config file)');
      expect((await pullStatus(runtime.url, 'team/alpine', 'v3.10')).status).toBe(200);
      await pushAs(runtime.url, 'team/alpine', 'v3.10');
    } finally {
      await runtime.close();
      await stores.close();
    }
  });
});

describe('keyless signers in the pull gates', () => {
  // connaisseur's keyless test image (../shared/data/signing): an image manifest whose config and
  // layer were not copied, signed keylessly (cosign .sig with a Fulcio certificate and a Rekor
  // bundle) by philipp.belitz@securesystems.de through GitHub's OAuth issuer, for
  // index.docker.io/phbelitz/rekor-test; checked offline against cosign's public-good trusted root.
  const dir = sharedData('signing', 'connaisseur-cosign-testimage');
  const REPOSITORY = 'phbelitz/rekor-test';
  const ISSUER = 'https://github.com/login/oauth';
  const keylessPolicy = (subject: string) =>
    parsePolicy(
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nrules:\n  - name: keyless\n    kind: requireSignature\n' +
        `    keyless:\n      - issuer: ${ISSUER}\n        subject: ${subject}\n` +
        'server:\n  scan: { onPush: false }\n  projects:\n    - name: phbelitz\n      pull: { rules: [keyless] }\n',
      'p.yaml',
    );

  /** The image manifest, stored the way a push stores it (its blobs are not in the fixture, so not over HTTP). */
  async function storeImage(stores: ServeStores): Promise<Digest> {
    const bytes = readFileSync(path.join(dir, 'manifests', 'keyless.json'));
    const digest = digestOf(bytes);
    await new FilesystemBlobStore(stores.dataDir).put(digest, Readable.from([bytes]), bytes.length);
    await stores.metadata.linkBlob(REPOSITORY, digest);
    await stores.metadata.putManifest(
      REPOSITORY,
      {
        digest,
        mediaType: MediaType.dockerManifest,
        size: bytes.length,
        configMediaType: MediaType.dockerConfig,
      },
      ['keyless'],
    );
    return digest;
  }

  /** Pushes the upstream signature under the image's .sig tag through the registry's HTTP API. */
  async function pushSignature(url: string, digest: Digest): Promise<void> {
    const upstream = parseSignatureManifest(
      readFileSync(path.join(dir, 'manifests', `${digest.replace(':', '-')}.sig.json`)),
    );
    const layer = upstream.layers[0];
    if (layer === undefined) throw new Error('the signature manifest has no layer');
    const blobs = [
      readFileSync(path.join(dir, 'blobs', `${layer.digest.replace(':', '_')}.json`)),
      readFileSync(
        path.join(dir, 'blobs', `RECONSTRUCTED_${upstream.config.digest.replace(':', '_')}.config.json`),
      ),
    ];
    for (const blob of blobs) {
      const res = await fetch(`${url}/v2/${REPOSITORY}/blobs/uploads/?digest=${digestOf(blob)}`, {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': 'application/octet-stream' },
        body: blob,
      });
      expect(res.status).toBe(201);
    }
    const manifest = buildSignatureManifest(upstream.layers, upstream);
    const put = await fetch(`${url}/v2/${REPOSITORY}/manifests/${signatureTag(digest)}`, {
      method: 'PUT',
      headers: { authorization: ADMIN, 'content-type': MediaType.ociManifest },
      body: manifest.bytes,
    });
    expect(put.status).toBe(201);
  }

  it("admits an image signed keylessly by the rule's identity once the trusted root is given, and refuses other identities", async () => {
    const stores = await openStores('keyless');
    const digest = await storeImage(stores);
    const trustedRoot = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
    const belitz = keylessPolicy('philipp.belitz@securesystems.de');
    // Without a trusted root the keyless signer cannot be checked: the gate fails closed.
    const rootless = await startRegistryRuntime({ ...base, ...stores, policy: belitz });
    try {
      await pushSignature(rootless.url, digest);
      const refused = await pullStatus(rootless.url, REPOSITORY, 'keyless');
      expect(refused.status).toBe(403);
      expect(refused.message).toContain('no Sigstore trusted root was configured');
    } finally {
      await rootless.close();
    }
    const runtime = await startRegistryRuntime({ ...base, ...stores, policy: belitz, trustedRoot });
    try {
      expect(await pullStatus(runtime.url, REPOSITORY, 'keyless')).toEqual({ status: 200, message: '' });
      // Another identity: the same genuine signature does not verify for it.
      runtime.reloadPolicy(keylessPolicy('mallory@example.com'));
      const stranger = await pullStatus(runtime.url, REPOSITORY, 'keyless');
      expect(stranger.status).toBe(403);
      expect(stranger.message).toContain('pull refused by rule keyless: no signature verifies');
      expect(stranger.message).not.toContain('trusted root');
    } finally {
      await runtime.close();
      await stores.close();
    }
  });
});
