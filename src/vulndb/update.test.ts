import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  utimesSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  existsSync,
  statSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord } from './osv.js';
import { openVulnDb, type VulnDb } from './store.js';
import { UpdateError, updateDatabase, type UpdateProgress } from './update.js';

function osv(id: string, ecosystem: string, name: string, fixed: string, modified: string): OsvRecord {
  return {
    id,
    modified,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
  };
}

/** A zip built by Python's zipfile (an independent writer), one JSON file per record. */
function buildZip(dir: string, records: readonly OsvRecord[]): Buffer {
  const src = mkdtempSync(path.join(dir, 'zipsrc-'));
  for (const r of records) writeFileSync(path.join(src, `${r.id}.json`), JSON.stringify(r));
  const out = path.join(dir, `${path.basename(src)}.zip`);
  execFileSync('python3', [
    '-c',
    'import os,sys,zipfile\nwith zipfile.ZipFile(sys.argv[2],"w",zipfile.ZIP_DEFLATED) as z:\n for n in sorted(os.listdir(sys.argv[1])): z.write(os.path.join(sys.argv[1],n),n)',
    src,
    out,
  ]);
  return readFileSync(out);
}

type Served = { body: Buffer; etag: string; lastModified: string };

/** A loopback OSV bucket mirror with conditional requests, ranges and injectable faults. */
class Mirror {
  readonly files = new Map<string, Served>();
  readonly log: { url: string; headers: http.IncomingHttpHeaders; status: number }[] = [];
  /** Paths whose next full response is cut after half the body. */
  readonly cutOnce = new Set<string>();
  /**
   * When a cut response may drop: after the client has stored part of the body. A fixed pause
   * was not enough on a loaded machine (the client had not read anything yet, so there was
   * nothing to resume and the test saw a fresh 200 instead of a 206).
   */
  cutWhen: () => boolean = () => true;
  /** Paths whose next response sends headers and then nothing. */
  readonly stallOnce = new Set<string>();
  /** Paths whose next ranged request is refused with 416. */
  readonly refuseRangeOnce = new Set<string>();
  #server = http.createServer((req, res) => {
    this.#handle(req, res);
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  put(p: string, body: Buffer, etag: string): void {
    this.files.set(p, { body, etag: `"${etag}"`, lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT' });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = decodeURIComponent(req.url ?? '');
    const file = this.files.get(url);
    const record = (status: number): void => {
      this.log.push({ url, headers: req.headers, status });
    };
    if (file === undefined) {
      record(404);
      res.writeHead(404).end();
      return;
    }
    const validators = { etag: file.etag, 'last-modified': file.lastModified };
    if (req.headers['if-none-match'] === file.etag) {
      record(304);
      res.writeHead(304, validators).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range?.[1] !== undefined && this.refuseRangeOnce.delete(url)) {
      record(416);
      res.writeHead(416, { 'content-range': `bytes */${file.body.length}` }).end();
      return;
    }
    if (range?.[1] !== undefined && req.headers['if-range'] === file.etag) {
      const from = Number(range[1]);
      record(206);
      res.writeHead(206, {
        ...validators,
        'content-length': file.body.length - from,
        'content-range': `bytes ${from}-${file.body.length - 1}/${file.body.length}`,
      });
      res.end(file.body.subarray(from));
      return;
    }
    record(200);
    res.writeHead(200, { ...validators, 'content-length': file.body.length, 'accept-ranges': 'bytes' });
    if (this.stallOnce.delete(url)) return;
    if (this.cutOnce.delete(url)) {
      // Half the body; once the client has stored some of it (or after 10 s), the connection drops.
      res.write(file.body.subarray(0, Math.floor(file.body.length / 2)), () => {
        const deadline = Date.now() + 10_000;
        const poll = (): void => {
          if (this.cutWhen() || Date.now() > deadline) res.socket?.destroy();
          else setTimeout(poll, 20);
        };
        poll();
      });
      return;
    }
    res.end(file.body);
  }
}

describe('updateDatabase', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-update-'));
  const mirror = new Mirror();
  const dbPath = path.join(dir, 'db', 'portcullis.db');
  const cacheDir = path.join(dir, 'cache');
  mirror.cutWhen = () => {
    try {
      return statSync(path.join(cacheDir, 'Go.zip.part')).size > 0;
    } catch {
      return false;
    }
  };
  const goRecords = [
    osv('GO-2024-0001', 'Go', 'example.com/a', '1.2.0', '2024-01-01T00:00:00Z'),
    osv('GO-2024-0002', 'Go', 'example.com/b', '0.9.1', '2024-01-02T00:00:00Z'),
  ];
  const pypiRecords = Array.from({ length: 400 }, (_, i) =>
    osv(`PYSEC-2024-${i}`, 'PyPI', `pkg-${i}`, `1.${i}.0`, '2024-02-01T00:00:00Z'),
  );

  beforeAll(async () => {
    await mirror.start();
    mirror.put('/Go/all.zip', buildZip(dir, goRecords), 'go-1');
    mirror.put('/PyPI/all.zip', buildZip(dir, pypiRecords), 'pypi-1');
  });
  afterAll(async () => {
    await mirror.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(ecosystems: readonly string[], progress?: UpdateProgress[]) {
    return updateDatabase({
      dbPath,
      baseUrl: mirror.url,
      ecosystems,
      cacheDir,
      fetchTimeoutMs: 5_000,
      ...(progress === undefined ? {} : { onProgress: (p: UpdateProgress) => progress.push(p) }),
    });
  }

  function query(fn: (db: VulnDb) => unknown): unknown {
    const db = openVulnDb(dbPath, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  it('downloads each ecosystem’s all.zip and builds the database', async () => {
    const progress: UpdateProgress[] = [];
    const result = await run(['Go', 'PyPI'], progress);
    expect(result.replaced).toBe(true);
    expect(result.ecosystems.map((e) => [e.ecosystem, e.status, e.counts?.inserted])).toEqual([
      ['Go', 'updated', 2],
      ['PyPI', 'updated', 400],
    ]);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/a').map((r) => r.id))).toEqual(['GO-2024-0001']);
    expect(query((db) => db.status().records)).toBe(402);
    expect(query((db) => db.listSources().map((s) => [s.name, s.etag]))).toEqual([
      ['osv-Go', '"go-1"'],
      ['osv-PyPI', '"pypi-1"'],
    ]);
    const last = progress.filter((p) => p.ecosystem === 'PyPI' && p.phase === 'download').at(-1);
    expect(last?.receivedBytes).toBe(mirror.files.get('/PyPI/all.zip')?.body.length);
    expect(last?.totalBytes).toBe(last?.receivedBytes);
    expect(progress.map((p) => p.phase)).toContain('done');
    // Nothing is left behind: no downloads in the cache, no temporary databases.
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(readdirSync(path.dirname(dbPath))).toEqual(['portcullis.db']);
  });

  it('sends the stored ETag and downloads nothing when the server answers 304', async () => {
    const before = readFileSync(dbPath);
    mirror.log.length = 0;
    const result = await run(['Go', 'PyPI']);
    expect(result).toEqual({
      replaced: false,
      ecosystems: [
        { ecosystem: 'Go', status: 'unchanged', bytes: 0 },
        { ecosystem: 'PyPI', status: 'unchanged', bytes: 0 },
      ],
    });
    expect(mirror.log.map((l) => [l.url, l.status, l.headers['if-none-match']])).toEqual([
      ['/Go/all.zip', 304, '"go-1"'],
      ['/PyPI/all.zip', 304, '"pypi-1"'],
    ]);
    expect(mirror.log[0]?.headers['if-modified-since']).toBe('Wed, 01 Jan 2025 00:00:00 GMT');
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('resumes a download cut mid-way with a Range request and succeeds', async () => {
    const newer = [...goRecords, osv('GO-2024-0003', 'Go', 'example.com/c', '2.0.0', '2024-03-01T00:00:00Z')];
    const body = buildZip(dir, newer);
    mirror.put('/Go/all.zip', body, 'go-2');
    mirror.cutOnce.add('/Go/all.zip');
    mirror.log.length = 0;
    const result = await run(['Go']);
    expect(result.ecosystems).toEqual([
      {
        ecosystem: 'Go',
        status: 'updated',
        bytes: body.length,
        counts: { inserted: 1, updated: 0, unchanged: 2 },
      },
    ]);
    const half = Math.floor(body.length / 2);
    expect(mirror.log.map((l) => [l.status, l.headers.range, l.headers['if-range']])).toEqual([
      [200, undefined, undefined],
      [206, `bytes=${half}-`, '"go-2"'],
    ]);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/c').map((r) => r.id))).toEqual(['GO-2024-0003']);
    expect(query((db) => db.listSources().find((s) => s.name === 'osv-Go')?.etag)).toBe('"go-2"');
  });

  it('keeps a partial download when every attempt fails and resumes it in the next update', async () => {
    const body = buildZip(dir, [osv('GO-2024-0004', 'Go', 'example.com/d', '1.0.0', '2024-04-01T00:00:00Z')]);
    mirror.put('/Go/all.zip', body, 'go-3');
    mirror.cutOnce.add('/Go/all.zip');
    const before = readFileSync(dbPath);
    await expect(
      updateDatabase({ dbPath, baseUrl: mirror.url, ecosystems: ['Go'], cacheDir, attempts: 1 }),
    ).rejects.toMatchObject({ code: 'UPDATE_DOWNLOAD_FAILED' });
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    expect(existsSync(path.join(cacheDir, 'Go.zip.part'))).toBe(true);
    mirror.log.length = 0;
    await run(['Go']);
    expect(mirror.log.map((l) => l.status)).toEqual([206]);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/d').length)).toBe(1);
  });

  // The stalled response never ends: without the fetch timeout this test hangs until vitest's
  // own timeout fails it. No wall-clock assertion, which a loaded machine would make flaky.
  it('gives up on a stalled response after the fetch timeout and retries', { timeout: 30_000 }, async () => {
    const body = buildZip(dir, [osv('GO-2024-0005', 'Go', 'example.com/e', '1.0.0', '2024-05-01T00:00:00Z')]);
    mirror.put('/Go/all.zip', body, 'go-4');
    mirror.stallOnce.add('/Go/all.zip');
    mirror.log.length = 0;
    await updateDatabase({ dbPath, baseUrl: mirror.url, ecosystems: ['Go'], cacheDir, fetchTimeoutMs: 300 });
    expect(mirror.log.map((l) => l.status)).toEqual([200, 200]);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/e').length)).toBe(1);
  });

  it('starts over when the server refuses to resume (416)', async () => {
    const body = buildZip(dir, [osv('GO-2024-0006', 'Go', 'example.com/f', '1.0.0', '2024-06-01T00:00:00Z')]);
    mirror.put('/Go/all.zip', body, 'go-5');
    mirror.cutOnce.add('/Go/all.zip');
    mirror.refuseRangeOnce.add('/Go/all.zip');
    mirror.log.length = 0;
    await run(['Go']);
    expect(mirror.log.map((l) => l.status)).toEqual([200, 416, 200]);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/f').length)).toBe(1);
  });

  it('refuses a corrupt archive with a clear error and leaves the old database byte-identical and usable', async () => {
    const before = readFileSync(dbPath);
    // Not a zip at all (an HTML error page served as the archive).
    mirror.put('/Go/all.zip', Buffer.from('<html>quota exceeded</html>'), 'bad-1');
    const err = await run(['Go']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpdateError);
    expect(err).toMatchObject({ code: 'UPDATE_ARCHIVE_INVALID' });
    expect((err as Error).message).toMatch(/Go\/all\.zip is not a zip archive/);
    // A zip whose entry is damaged: the importer fails, nothing of the other ecosystem lands either.
    const good = buildZip(dir, goRecords);
    const damaged = Buffer.from(good);
    damaged.fill(0x41, 40, 80);
    mirror.put('/Go/all.zip', damaged, 'bad-2');
    mirror.put(
      '/PyPI/all.zip',
      buildZip(dir, [osv('PYSEC-2025-1', 'PyPI', 'new', '1.0', '2025-01-01T00:00:00Z')]),
      'pypi-2',
    );
    const damagedErr = await run(['PyPI', 'Go']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(damagedErr).toMatchObject({ code: 'UPDATE_ARCHIVE_INVALID' });
    expect((damagedErr as Error).message).toMatch(
      /cannot import .*\/Go\/all\.zip: .*not a readable zip archive/,
    );
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(dbPath))).toEqual(['portcullis.db']);
    expect(query((db) => db.advisoriesFor('Go', 'example.com/f').map((r) => r.id))).toEqual(['GO-2024-0006']);
    expect(query((db) => db.advisoriesFor('PyPI', 'new'))).toEqual([]);
  });

  it('refuses to run beside another update of the same database, and takes over a stale lock', async () => {
    const lock = `${dbPath}.update.lock`;
    const before = readFileSync(dbPath);
    writeFileSync(lock, '12345\n');
    await expect(run(['Go'])).rejects.toMatchObject({ code: 'UPDATE_LOCKED' });
    expect(readFileSync(lock, 'utf8')).toBe('12345\n');
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    const old = new Date(Date.now() - 3 * 60 * 60 * 1000);
    utimesSync(lock, old, old);
    mirror.put('/Go/all.zip', buildZip(dir, goRecords), 'go-6');
    const result = await run(['Go']);
    expect(result.ecosystems.map((e) => e.status)).toEqual(['updated']);
    expect(existsSync(lock)).toBe(false);
  });

  it('fails with the HTTP status when an ecosystem is missing, leaving the database as it was', async () => {
    const before = readFileSync(dbPath);
    await expect(run(['NoSuchEcosystem'])).rejects.toThrow(/HTTP 404/);
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    mkdirSync(cacheDir, { recursive: true });
  });
});
