import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../core/index.js';
import { parsePolicy } from '../../policy/index.js';
import { addUser, SqliteAccountStore, SqliteMetadataStore } from '../../registry/index.js';
import { buildTestImages, pushLayoutTag } from '../../testing/oci-images.js';
import { openVulnDb } from '../../vulndb/index.js';
import { startRegistryRuntime, TOKEN_KEY_FILE, type RegistryRuntimeOptions } from './runtime.js';

// The server layer on real stores: the registry answers, the token key is created, pushes reach
// the scan worker through the hooks, and close stops the server before the worker.

const PASSWORD = `pw-${randomBytes(12).toString('base64url')}`;

let work: string;
let layout: string;
let vulnDb: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-runtime-'));
  layout = path.join(work, 'layout');
  await buildTestImages(layout, [{ tag: 'v1', files: { 'etc/app.txt': randomBytes(64) } }], work);
  // An empty database: enough for scans to run (and find nothing).
  vulnDb = path.join(work, 'vuln.db');
  openVulnDb(vulnDb).close();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Stores = Pick<RegistryRuntimeOptions, 'db' | 'accounts' | 'metadata' | 'dataDir'> & {
  close(): Promise<void>;
};

/** The stores `portcullis serve` opens on a data directory, with an admin. */
async function openStores(name: string): Promise<Stores> {
  const dataDir = path.join(work, name);
  const metadata = SqliteMetadataStore.open(path.join(dataDir, 'registry.db'));
  const db = new Database(path.join(dataDir, 'registry.db'));
  const accounts = new SqliteAccountStore(db);
  await addUser(accounts, { name: 'admin', password: PASSWORD, systemAdmin: true });
  return {
    dataDir,
    db,
    accounts,
    metadata,
    async close() {
      db.close();
      await metadata.close();
    },
  };
}

const base = { host: '127.0.0.1', port: 0, service: 'portcullis-test' } as const;
const policy = (server: string) =>
  parsePolicy(`apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nserver:\n${server}`, 'p.yaml');

async function pushAs(url: string, repository: string): Promise<void> {
  const host = new URL(url).host;
  const authFile = path.join(work, `auth-${randomBytes(4).toString('hex')}.json`);
  const auth = Buffer.from(`admin:${PASSWORD}`).toString('base64');
  await writeFile(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  await pushLayoutTag(layout, 'v1', `${host}/${repository}:v1`, { authFile });
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
      expect(runtime.notices).toEqual([`scanning pushed images against ${vulnDb} (1 at once)`]);
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

  it('runs without scanning, and says so, when there is no database or scanning is off', async () => {
    const stores = await openStores('no-scan');
    const missing = path.join(work, 'nowhere', 'portcullis.db');
    const first = await startRegistryRuntime({ ...base, ...stores, vulnerabilityDb: missing });
    try {
      expect(first.worker).toBeUndefined();
      expect(first.notices).toEqual([
        `no vulnerability database at ${missing}: pushed images are not scanned (portcullis db update fetches one; restart serve afterwards)`,
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
      expect(off.notices).toEqual(['scan-on-push is off (server.scan.onPush: false)']);
    } finally {
      await off.close();
      await stores.close();
    }
  });
});
