import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, openSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../core/index.js';
import { parseImageRef } from '../../imageref/index.js';
import { imageIndexSchema, imageManifestSchema, RegistryClient } from '../../oci/index.js';
import type { PushedManifest } from '../../registry/index.js';
import { signImage, signImageWithBundle } from '../../signing/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { addIndexToLayout, buildTestImages, pushLayoutTag, runCommand } from '../../testing/oci-images.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import { requireCommand } from '../../testing/registry.js';
import { trivyFixtureRecords } from '../../testing/trivy-fixture-db.js';
import { openVulnDb, replaceDatabaseAtomically, type OsvRecord } from '../../vulndb/index.js';
import { readStoredBlob } from './local-image.js';
import { ScanWorker, type ScanWorkerEvent, type ScanWorkerOptions } from './scan-worker.js';

// Real parts: our registry in process, skopeo and umoci images, Trivy's alpine 3.10 test image
// and the vulnerability database built from Trivy's fixture DB (../shared/data), in which
// alpine 3.10's libcrypto1.1 and libssl1.1 (openssl 1.1.1c-r0) have CVE-2019-1549 and -1551.

const OPENSSL_CVES = ['CVE-2019-1549', 'CVE-2019-1551'];

let work: string;
let layout: string;
let alpineTar: string;
/** Every fixture advisory. */
let fullDb: string;
/** The fixture advisories without the openssl ones: alpine 3.10 is clean against it. */
let cleanDb: string;

function buildDb(file: string, records: readonly OsvRecord[]): void {
  const db = openVulnDb(file);
  try {
    db.importRecords(records, { name: 'trivy-fixture-db', kind: 'test', location: 'fixture-db' });
  } finally {
    db.close();
  }
}

/** Writes a database the way `portcullis db update` does: built aside, renamed over the old one. */
function replaceDb(target: string, records: readonly OsvRecord[]): void {
  const temp = path.join(path.dirname(target), `.tmp-${randomBytes(4).toString('hex')}.db`);
  buildDb(temp, records);
  replaceDatabaseAtomically(temp, target);
}

function cleanRecords(): OsvRecord[] {
  return trivyFixtureRecords().filter((r) => !OPENSSL_CVES.includes(r.id));
}

beforeAll(async () => {
  requireCommand('skopeo', 'skopeo');
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-scan-worker-'));
  layout = path.join(work, 'layout');
  await buildTestImages(
    layout,
    ['a', 'b', 'c'].map((tag) => ({ tag, files: { [`etc/${tag}`]: randomBytes(256) } })),
    work,
  );
  await addIndexToLayout(layout, 'multi', [
    { tag: 'a', platform: { os: 'linux', architecture: 'amd64' } },
    { tag: 'b', platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  // skopeo's docker-archive reader does not take a gzip-compressed archive.
  alpineTar = path.join(work, 'alpine-310.tar');
  await pipeline(
    createReadStream(sharedData('image-fixtures', 'trivy-test-images', 'alpine-310.tar.gz')),
    createGunzip(),
    createWriteStream(alpineTar),
  );
  fullDb = path.join(work, 'full.db');
  buildDb(fullDb, trivyFixtureRecords());
  cleanDb = path.join(work, 'clean.db');
  buildDb(cleanDb, cleanRecords());
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function pushAlpine(reg: TestPortcullisRegistry, dest: string, authFile?: string): Promise<void> {
  await runCommand('skopeo', [
    'copy',
    '-q',
    '--dest-tls-verify=false',
    ...(authFile === undefined ? [] : ['--dest-authfile', authFile]),
    `docker-archive:${alpineTar}`,
    `docker://${reg.host}/${dest}`,
  ]);
}

async function digestOfTag(reg: TestPortcullisRegistry, repository: string, tag: string): Promise<Digest> {
  const digest = await reg.metadata.resolveTag(repository, tag);
  if (digest === undefined) throw new Error(`${repository}:${tag} was not pushed`);
  return digest;
}

/** What the registry tells the hook for a stored manifest (for registries started without it). */
async function pushed(
  reg: TestPortcullisRegistry,
  repository: string,
  digest: Digest,
): Promise<PushedManifest> {
  const record = await reg.metadata.getManifest(repository, digest);
  if (record === undefined) throw new Error(`${digest} is not in ${repository}`);
  return { repository, record, tags: [], actor: undefined };
}

/** Where the filesystem blob store keeps a blob. */
function blobFile(reg: TestPortcullisRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(reg.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
}

/** Pushes layout tags to lib/damaged and returns their digests. */
async function pushDamaged(reg: TestPortcullisRegistry, tags: readonly string[]): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const tag of tags) {
    await pushLayoutTag(layout, tag, `${reg.host}/lib/damaged:${tag}`);
    digests.push(await digestOfTag(reg, 'lib/damaged', tag));
  }
  return digests;
}

type Harness = {
  readonly worker: ScanWorker;
  readonly db: Database.Database;
  readonly events: ScanWorkerEvent[];
  close(): Promise<void>;
};

/** A worker on the registry's own registry.db, as `portcullis serve` runs it. */
function openWorker(reg: TestPortcullisRegistry, options: Omit<ScanWorkerOptions, 'db' | 'blobs'>): Harness {
  const db = new Database(path.join(reg.dataDir, 'registry.db'));
  const events: ScanWorkerEvent[] = [];
  let worker: ScanWorker;
  try {
    worker = new ScanWorker({ ...options, db, blobs: reg.blobs, onEvent: (e) => events.push(e) });
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    worker,
    db,
    events,
    async close() {
      await worker.close();
      db.close();
    },
  };
}

describe('scan-on-push', () => {
  it('scans an image pushed with skopeo through the registry hook, and not again when it is pushed again', async () => {
    // The registry is started first (the worker needs its data directory); the hook finds the worker here.
    const late: { worker?: ScanWorker } = {};
    const hooked: Digest[] = [];
    const reg = await startPortcullisRegistry({
      projects: [{ name: 'team' }],
      server: {
        hooks: {
          onManifestPushed: (e) => {
            hooked.push(e.record.digest);
            late.worker?.onManifestPushed(e);
          },
        },
      },
    });
    const h = openWorker(reg, { vulnDbPath: fullDb });
    late.worker = h.worker;
    try {
      h.worker.start();
      const authFile = await reg.authFile('admin');
      await pushAlpine(reg, 'team/alpine:3.10', authFile);
      const digest = await digestOfTag(reg, 'team/alpine', '3.10');
      const scan = await h.worker.settled(digest);
      expect(scan).toMatchObject({ digest, status: 'done' });
      const rows = scan?.findings.map(
        (f) => `${f.id} ${f.package.name} ${f.installedVersion} ${f.fixedVersion ?? '-'}`,
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          'CVE-2019-1549 libcrypto1.1 1.1.1c-r0 1.1.1d-r0',
          'CVE-2019-1551 libssl1.1 1.1.1c-r0 1.1.1d-r2',
        ]),
      );
      expect(scan?.dbVersion).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(scan?.scannedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      const inventory = h.worker.inventoryOf(digest);
      expect(inventory?.os).toMatchObject({ family: 'alpine', version: '3.10.2' });
      expect(inventory?.packages.map((p) => p.name)).toContain('musl');

      // The same image pushed again, to another tag and to another repository: already scanned.
      await pushAlpine(reg, 'team/alpine:latest', authFile);
      await pushAlpine(reg, 'team/copy:3.10', authFile);
      expect(await digestOfTag(reg, 'team/copy', '3.10')).toBe(digest);
      await h.worker.whenIdle();
      expect(hooked.filter((d) => d === digest)).toHaveLength(3);
      expect(h.events.filter((e) => e.kind === 'started').map((e) => e.digest)).toEqual([digest]);
      expect(await h.worker.scanOf(`sha256:${'0'.repeat(64)}` as Digest)).toBeUndefined();
      expect(h.worker.listScans()).toMatchObject([
        { digest, repository: 'team/alpine', status: 'done', findingCount: scan?.findings.length },
      ]);
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it("records indexes, signatures and other artifacts as unsupported and scans an index's platform manifests on their own", async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb });
    const client = new RegistryClient({ retryDelayMs: { base: 10, max: 2000 } });
    try {
      h.worker.start();
      await pushLayoutTag(layout, 'multi', `${reg.host}/lib/multi:1`, { all: true });
      const index = await digestOfTag(reg, 'lib/multi', '1');
      const children = imageIndexSchema
        .parse(JSON.parse((await readStoredBlob(reg.blobs, index, 1 << 20)).toString('utf8')))
        .manifests.map((m) => m.digest);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const child = children[0] as Digest;
      const childRef = parseImageRef(`${reg.host}/lib/multi@${child}`);
      await signImage(client, childRef, privateKey);
      const bundle = await signImageWithBundle(client, childRef, privateKey);
      const signature = await digestOfTag(reg, 'lib/multi', `${child.replace(':', '-')}.sig`);

      for (const d of [index, ...children, signature, bundle.referrerDigest])
        h.worker.onManifestPushed(await pushed(reg, 'lib/multi', d));
      await h.worker.whenIdle();

      expect(await h.worker.scanOf(index)).toMatchObject({
        status: 'unsupported',
        error: expect.stringContaining('an index') as unknown,
      });
      for (const c of children) {
        expect(await h.worker.scanOf(c)).toMatchObject({ status: 'done', findings: [] });
        expect(h.worker.inventoryOf(c)?.packages).toEqual([]);
      }
      expect(await h.worker.scanOf(signature)).toMatchObject({
        status: 'unsupported',
        error: expect.stringContaining('cosign') as unknown,
      });
      expect(h.worker.listScans({ repository: 'lib/multi', status: 'unsupported' })).toHaveLength(3);
      expect(h.worker.listScans({ repository: 'lib/multi', status: 'done' })).toMatchObject(
        [...children].sort().map((digest) => ({ digest, findingCount: 0, repository: 'lib/multi' })),
      );
      expect(await h.worker.scanOf(bundle.referrerDigest)).toMatchObject({
        status: 'unsupported',
        error: expect.stringContaining('artifact') as unknown,
      });
    } finally {
      client.close();
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('resumes queued scans in a new worker after the first closed before running them or was aborted mid-scan', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    try {
      const digests: Digest[] = [];
      for (const tag of ['a', 'b', 'c']) {
        await pushLayoutTag(layout, tag, `${reg.host}/lib/resume:${tag}`);
        digests.push(await digestOfTag(reg, 'lib/resume', tag));
      }
      await pushAlpine(reg, 'lib/resume:alpine');
      const alpine = await digestOfTag(reg, 'lib/resume', 'alpine');

      // Queued while the worker is not started (the registry may take pushes before it runs).
      const first = openWorker(reg, { vulnDbPath: fullDb });
      for (const d of digests) first.worker.onManifestPushed(await pushed(reg, 'lib/resume', d));
      expect(first.worker.stats().queued).toBe(3);
      await first.close();
      expect(first.events).toEqual([]);

      // Started and closed with abort while scanning: the scan stays queued.
      const second = openWorker(reg, { vulnDbPath: fullDb, concurrency: 1 });
      second.worker.start();
      second.worker.onManifestPushed(await pushed(reg, 'lib/resume', alpine));
      await second.worker.close({ abort: true });
      second.db.close();
      expect(second.events.filter((e) => e.kind === 'started').length).toBeGreaterThan(0);

      const third = openWorker(reg, { vulnDbPath: fullDb });
      try {
        for (const d of [...digests, alpine]) expect((await third.worker.scanOf(d))?.status).toBe('pending');
        third.worker.start();
        await third.worker.whenIdle();
        for (const d of digests) expect((await third.worker.scanOf(d))?.status).toBe('done');
        const scan = await third.worker.scanOf(alpine);
        expect(scan?.status).toBe('done');
        expect(scan?.findings.map((f) => f.id)).toEqual(expect.arrayContaining(OPENSSL_CVES));
        expect(
          third.events
            .filter((e) => e.kind === 'started')
            .map((e) => e.digest)
            .sort(),
        ).toEqual([...digests, alpine].sort());
      } finally {
        await third.close();
      }
    } finally {
      await reg.stop();
    }
  }, 120_000);

  it('closes by finishing the running scan and leaving the queued ones for the next worker', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb, concurrency: 1 });
    try {
      await pushLayoutTag(layout, 'a', `${reg.host}/lib/close:a`);
      await pushAlpine(reg, 'lib/close:alpine');
      const [first, second] = [
        await digestOfTag(reg, 'lib/close', 'a'),
        await digestOfTag(reg, 'lib/close', 'alpine'),
      ];
      h.worker.start();
      h.worker.onManifestPushed(await pushed(reg, 'lib/close', first));
      h.worker.onManifestPushed(await pushed(reg, 'lib/close', second));
      await h.worker.close();
      expect((await h.worker.scanOf(first))?.status).toBe('done');
      expect((await h.worker.scanOf(second))?.status).toBe('pending');
      expect(h.events.filter((e) => e.kind === 'started').map((e) => e.digest)).toEqual([first]);
      // A push after close is still stored for the next worker.
      await pushLayoutTag(layout, 'b', `${reg.host}/lib/close:b`);
      const third = await digestOfTag(reg, 'lib/close', 'b');
      h.worker.onManifestPushed(await pushed(reg, 'lib/close', third));
      expect(h.worker.store.pending().map((j) => j.digest)).toEqual([second, third]);
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('fails a scan at once, naming the blob, when a blob was deleted or replaced under the data directory', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb });
    try {
      const pushedDigests = await pushDamaged(reg, ['a', 'b', 'c']);
      const [missingLayer, fifoLayer, missingManifest] = pushedDigests;
      if (missingLayer === undefined || fifoLayer === undefined || missingManifest === undefined)
        throw new Error('not pushed');
      // Queued while the worker is not started: the blobs are gone before the scans run.
      for (const d of pushedDigests) h.worker.onManifestPushed(await pushed(reg, 'lib/damaged', d));
      const layerOf = async (digest: Digest) =>
        imageManifestSchema.parse(
          JSON.parse((await readStoredBlob(reg.blobs, digest, 1 << 20)).toString('utf8')),
        ).layers[0];
      const deleted = await layerOf(missingLayer);
      const replaced = await layerOf(fifoLayer);
      if (deleted === undefined || replaced === undefined) throw new Error('an image without layers');
      await unlink(blobFile(reg, deleted.digest));
      // A FIFO blocks whoever opens it until a writer comes: the scan must not get that far.
      await unlink(blobFile(reg, replaced.digest));
      execFileSync('mkfifo', [blobFile(reg, replaced.digest)]);
      await unlink(blobFile(reg, missingManifest));

      h.worker.start();
      await h.worker.whenIdle();
      expect(await h.worker.scanOf(missingLayer)).toMatchObject({
        status: 'failed',
        error: `layer ${deleted.digest} is missing from the registry's blob store (deleted from the data directory?)`,
      });
      expect(await h.worker.scanOf(fifoLayer)).toMatchObject({
        status: 'failed',
        error: `layer ${replaced.digest} is stored with 0 bytes but its descriptor says ${replaced.size}: the blob store is damaged`,
      });
      expect(await h.worker.scanOf(missingManifest)).toMatchObject({
        status: 'failed',
        error: `manifest ${missingManifest} is missing from the registry's blob store (deleted from the data directory?)`,
      });
      expect(h.worker.stats()).toMatchObject({ failed: 3, scanned: 0, running: 0, queued: 0 });
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('closes with abort without waiting for a scan blocked in a read; the scan stays queued', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb });
    // The manifest's own blob replaced by a FIFO: nothing says what size it should have, so the
    // scan opens it and blocks there until a writer comes.
    const [digest] = await pushDamaged(reg, ['a']);
    if (digest === undefined) throw new Error('nothing pushed');
    const fifo = blobFile(reg, digest);
    await unlink(fifo);
    execFileSync('mkfifo', [fifo]);
    h.worker.onManifestPushed(await pushed(reg, 'lib/damaged', digest));
    try {
      const started = new Promise<void>((resolve) => {
        h.worker.start();
        const poll = setInterval(() => {
          if (h.worker.stats().running === 1) {
            clearInterval(poll);
            resolve();
          }
        }, 10);
      });
      await started;
      await h.worker.close({ abort: true });
      expect((await h.worker.scanOf(digest))?.status).toBe('pending');
      expect(h.worker.store.pending().map((j) => j.digest)).toEqual([digest]);
    } finally {
      // Let the blocked open finish (a writer that goes at once: the reader sees an empty blob).
      for (let i = 0; i < 200; i++) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('backfills the manifests pushed while no worker was listening', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb });
    try {
      await pushLayoutTag(layout, 'multi', `${reg.host}/lib/old:1`, { all: true });
      const index = await digestOfTag(reg, 'lib/old', '1');
      h.worker.start();
      expect(await h.worker.backfill(reg.metadata)).toBe(3);
      await h.worker.whenIdle();
      expect(
        h.worker
          .listScans()
          .map((s) => s.status)
          .sort(),
      ).toEqual(['done', 'done', 'unsupported']);
      expect((await h.worker.scanOf(index))?.status).toBe('unsupported');
      expect(await h.worker.backfill(reg.metadata)).toBe(0);
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('runs at most `concurrency` scans at once', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const h = openWorker(reg, { vulnDbPath: fullDb, concurrency: 2 });
    try {
      const digests: Digest[] = [];
      for (const tag of ['a', 'b', 'c']) {
        await pushLayoutTag(layout, tag, `${reg.host}/lib/many:${tag}`);
        digests.push(await digestOfTag(reg, 'lib/many', tag));
      }
      await pushAlpine(reg, 'lib/many:alpine');
      digests.push(await digestOfTag(reg, 'lib/many', 'alpine'));
      for (const d of digests) h.worker.onManifestPushed(await pushed(reg, 'lib/many', d));
      h.worker.start();
      await h.worker.whenIdle();

      let running = 0;
      let most = 0;
      for (const e of h.events) {
        if (e.kind === 'started') running++;
        if (e.kind === 'finished') running--;
        most = Math.max(most, running);
      }
      expect(most).toBe(2);
      expect(Math.max(...h.events.map((e) => (e.kind === 'started' ? e.running : 0)))).toBe(2);
      expect(h.events.filter((e) => e.kind === 'finished')).toHaveLength(4);
      for (const d of digests) expect((await h.worker.scanOf(d))?.status).toBe('done');
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('re-matches stored inventories after a database update without reading a layer, and records what changed', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const vulnDbPath = path.join(work, 'rematch', 'portcullis.db');
    replaceDb(vulnDbPath, cleanRecords());
    const h = openWorker(reg, { vulnDbPath, checkIntervalMs: 50 });
    try {
      h.worker.start();
      await pushAlpine(reg, 'lib/alpine:3.10');
      const digest = await digestOfTag(reg, 'lib/alpine', '3.10');
      h.worker.onManifestPushed(await pushed(reg, 'lib/alpine', digest));
      const before = await h.worker.settled(digest);
      expect(before).toMatchObject({ status: 'done', findings: [] });
      expect(await h.worker.checkDatabase()).toBeUndefined();

      // No layer can be read any more: the re-match must use the stored inventory.
      const manifest = imageManifestSchema.parse(
        JSON.parse((await readStoredBlob(reg.blobs, digest, 1 << 20)).toString('utf8')),
      );
      for (const l of manifest.layers) expect(await reg.blobs.delete(l.digest)).toBe(true);

      // `db update` replaces the file; the periodic check sees the new version and re-matches.
      const rematched = new Promise<ScanWorkerEvent>((resolve) => {
        const seen = h.events.length;
        const timer = setInterval(() => {
          const e = h.events.slice(seen).find((x) => x.kind === 'rematched');
          if (e !== undefined) {
            clearInterval(timer);
            resolve(e);
          }
        }, 20);
      });
      replaceDb(vulnDbPath, trivyFixtureRecords());
      const event = await rematched;
      expect(event).toMatchObject({
        kind: 'rematched',
        result: { rematched: 1, newlyAffected: [digest], resolved: [] },
      });
      const after = await h.worker.scanOf(digest);
      expect(after?.status).toBe('done');
      expect(after?.findings.map((f) => f.id)).toEqual(expect.arrayContaining(OPENSSL_CVES));
      expect(after?.dbVersion).not.toBe(before?.dbVersion);
      const [change] = h.worker.changesSince({ kind: 'affected' });
      expect(change).toMatchObject({
        digest,
        repository: 'lib/alpine',
        fromDbVersion: before?.dbVersion,
        toDbVersion: after?.dbVersion,
        added: OPENSSL_CVES,
        removed: [],
        newlyAffected: true,
        resolved: false,
      });

      // An update that withdraws the advisories resolves the digest; explicit rematch() this time.
      replaceDb(vulnDbPath, cleanRecords());
      const resolved = await h.worker.rematch();
      expect(resolved).toMatchObject({ rematched: 1, newlyAffected: [], resolved: [digest] });
      expect(h.worker.changesSince({ afterId: change?.id ?? 0 })).toMatchObject([
        { digest, added: [], removed: OPENSSL_CVES, newlyAffected: false, resolved: true },
      ]);
      expect(h.worker.changesSince({ kind: 'resolved' })).toHaveLength(1);
      expect((await h.worker.scanOf(digest))?.findings).toEqual([]);
      // Nothing else happened to the layers: still gone, and no scan ran again.
      expect(await reg.blobs.stat(manifest.layers[0]?.digest as Digest)).toBeUndefined();
      expect(h.events.filter((e) => e.kind === 'started')).toHaveLength(1);
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('keeps the inventory of a scan that found no database, and completes it when one appears', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    const vulnDbPath = path.join(work, 'late', 'portcullis.db');
    const h = openWorker(reg, { vulnDbPath });
    try {
      h.worker.start();
      await pushAlpine(reg, 'lib/late:1');
      const digest = await digestOfTag(reg, 'lib/late', '1');
      h.worker.onManifestPushed(await pushed(reg, 'lib/late', digest));
      expect(await h.worker.settled(digest)).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('no vulnerability database') as unknown,
      });
      expect(h.worker.inventoryOf(digest)?.packages.length).toBeGreaterThan(0);
      expect(await h.worker.checkDatabase()).toBeUndefined();
      replaceDb(vulnDbPath, trivyFixtureRecords());
      expect((await h.worker.checkDatabase())?.newlyAffected).toEqual([digest]);
      expect((await h.worker.scanOf(digest))?.status).toBe('done');
    } finally {
      await h.close();
      await reg.stop();
    }
  }, 120_000);

  it('refuses a concurrency that is not a positive whole number', async () => {
    const reg = await startPortcullisRegistry({ noAuth: true });
    try {
      expect(() => openWorker(reg, { vulnDbPath: fullDb, concurrency: 0 })).toThrow(
        expect.objectContaining({ code: 'SCAN_OPTIONS_INVALID' }),
      );
    } finally {
      await reg.stop();
    }
  });
});
