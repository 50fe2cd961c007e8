import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { readBerkeleyDbPackages } from './bdb.js';
import { RpmError } from './errors.js';
import { parseRpmHeader } from './header.js';
import { formatRpmEvr, readRpmPackageInfo } from './package.js';
import type { RpmDbContents } from './records.js';
import { readSqlitePackages } from './sqlite.js';

// Berkeley DB files made by the real libdb: Debian's db5.3_load (package db5.3-util) loads
// records in db_dump's text format into a hash database, in either byte order
// (-c db_lorder=1234|4321), with any page size and with page checksums. The records are the 129
// headers of the CBL-Mariner fixture, keyed by instance number as rpm keys them, so the result
// is a real rpm Packages database that rpm itself (its read-only bdb_ro backend) can list.

const FIXTURES = sharedData('pkgdb-fixtures', 'rpm');
const QF = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n';

let work = '';
let headers: RpmDbContents['records'] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-bdb-'));
  headers = (await readSqlitePackages(readFileSync(path.join(FIXTURES, 'cbl-mariner-2.0', 'rpmdb.sqlite'))))
    .records;
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

type Lorder = 'le' | 'be';

function u32(n: number, lorder: Lorder): Buffer {
  const b = Buffer.alloc(4);
  if (lorder === 'le') b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return b;
}

/**
 * A Packages database written by db5.3_load: rpm's instance-0 counter record, then one record
 * per header, keys in the database's byte order as rpm on such a machine writes them.
 */
function loadPackages(
  name: string,
  options: {
    lorder: Lorder;
    pageSize?: number;
    checksums?: boolean;
    type?: 'hash' | 'btree';
    password?: string;
  },
): string {
  const dir = path.join(work, name);
  const file = path.join(dir, 'Packages');
  execFileSync('mkdir', ['-p', dir]);
  const records = [
    [u32(0, options.lorder), u32(headers.length + 1, options.lorder)],
    ...headers.map((r) => [u32(r.instance, options.lorder), r.blob]),
  ];
  const text = [
    'VERSION=3',
    'format=bytevalue',
    `type=${options.type ?? 'hash'}`,
    'HEADER=END',
    ...records.flatMap(([k, v]) => [` ${k?.toString('hex') ?? ''}`, ` ${v?.toString('hex') ?? ''}`]),
    'DATA=END',
    '',
  ].join('\n');
  const args = ['-c', `db_lorder=${options.lorder === 'le' ? '1234' : '4321'}`];
  if (options.pageSize !== undefined) args.push('-c', `db_pagesize=${options.pageSize}`);
  if (options.checksums === true) args.push('-c', 'chksum=1');
  if (options.password !== undefined) args.push('-P', options.password);
  execFileSync('db5.3_load', [...args, file], { input: text });
  return file;
}

/** `rpm -qa` over a Packages file, through rpm's own read-only Berkeley DB backend. */
function rpmQa(file: string): string[] {
  const out = execFileSync(
    'rpm',
    ['--dbpath', path.dirname(file), '-D', '_db_backend bdb_ro', '-qa', '--qf', QF],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

function rowsOf(contents: RpmDbContents): string[] {
  return contents.records
    .map((r) => {
      const i = readRpmPackageInfo(parseRpmHeader(r.blob));
      return `${i.name}\t${String(i.epoch ?? 0)}\t${i.version}\t${i.release}\t${i.arch ?? '(none)'}`;
    })
    .sort();
}

/** True when the database gave back exactly the source headers, in order (Buffer.equals: deep equality of many large buffers is slow). */
function sameBlobs(contents: RpmDbContents): boolean {
  return (
    contents.records.length === headers.length &&
    contents.records.every((r, i) => headers[i]?.blob.equals(r.blob))
  );
}

describe('readBerkeleyDbPackages on databases rpm wrote', () => {
  it('reads the EL8 libuuid database (little-endian, header on overflow pages)', () => {
    const db = readBerkeleyDbPackages(readFileSync(path.join(FIXTURES, 'libuuid-el8', 'Packages')));
    expect(db.problems).toEqual([]);
    expect(db.records.map((r) => r.instance)).toEqual([1]);
    expect(rowsOf(db)).toEqual(['libuuid\t0\t2.32.1\t42.el8_8\tx86_64']);
  });

  it('reads a header stored on the hash page itself, with its epoch', () => {
    const db = readBerkeleyDbPackages(readFileSync(path.join(FIXTURES, 'scalibr-Packages_epoch')));
    expect(db.problems).toEqual([]);
    const info = readRpmPackageInfo(parseRpmHeader(db.records[0]?.blob ?? Buffer.alloc(0)));
    expect([info.name, formatRpmEvr(info), info.arch]).toEqual(['hello', '1:0.0.1-rls', 'x86_64']);
  });
});

describe('readBerkeleyDbPackages on databases made by libdb', () => {
  const variants: readonly { name: string; lorder: Lorder; pageSize?: number; checksums?: boolean }[] = [
    { name: 'little-endian, 4 KiB pages', lorder: 'le' },
    { name: 'big-endian, 4 KiB pages', lorder: 'be' },
    { name: 'big-endian, 512-byte pages (long overflow chains, many buckets)', lorder: 'be', pageSize: 512 },
    { name: 'little-endian, 64 KiB pages (headers on hash pages)', lorder: 'le', pageSize: 65536 },
  ];

  it.each(variants)('reads every header of a $name database, as rpm lists it', (v) => {
    const file = loadPackages(v.name.replace(/[^a-z0-9]+/gi, '-'), v);
    const db = readBerkeleyDbPackages(readFileSync(file));
    expect(db.problems).toEqual([]);
    expect(db.records.map((r) => r.instance)).toEqual(headers.map((r) => r.instance));
    expect(sameBlobs(db)).toBe(true);
    const rows = rowsOf(db);
    expect(rows).toHaveLength(129);
    expect(rows).toEqual(rpmQa(file));
  });

  it('reads pages that carry checksums (which rpm’s own bdb_ro reader refuses)', () => {
    const file = loadPackages('checksums', { lorder: 'le', checksums: true });
    expect(readFileSync(file)[26]).toBe(1);
    const db = readBerkeleyDbPackages(readFileSync(file));
    expect(db.problems).toEqual([]);
    expect(sameBlobs(db)).toBe(true);
  });
});

function expectRpmError(fn: () => unknown, code: RpmError['code'], reason: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(RpmError);
  expect((thrown as RpmError).code).toBe(code);
  expect((thrown as RpmError).message).toMatch(/^Berkeley DB: /);
  expect((thrown as RpmError).message).toMatch(reason);
}

describe('readBerkeleyDbPackages on damaged or foreign files', () => {
  /** A copy of a 512-byte-page little-endian database, to damage. */
  function small(): Buffer {
    return Buffer.from(readFileSync(loadPackages('damage', { lorder: 'le', pageSize: 512 })));
  }

  it('rejects a file that is not a Berkeley DB', () => {
    expectRpmError(
      () => readBerkeleyDbPackages(Buffer.alloc(4096, 0x41)),
      'RPM_DB_INVALID',
      /no Berkeley DB hash magic/,
    );
  });

  it('rejects a file shorter than the metadata page', () => {
    expectRpmError(
      () => readBerkeleyDbPackages(Buffer.alloc(100)),
      'RPM_DB_INVALID',
      /100 bytes is shorter than a metadata page/,
    );
  });

  it('names a btree database as unsupported', () => {
    const file = loadPackages('btree', { lorder: 'le', type: 'btree' });
    expectRpmError(
      () => readBerkeleyDbPackages(readFileSync(file)),
      'RPM_DB_UNSUPPORTED',
      /a btree database; rpm's Packages is a hash database/,
    );
  });

  it('names an encrypted database as unsupported', () => {
    const file = loadPackages('encrypted', { lorder: 'le', password: 'secret' });
    expectRpmError(() => readBerkeleyDbPackages(readFileSync(file)), 'RPM_DB_UNSUPPORTED', /encrypted/);
  });

  it('rejects an unknown hash version and a bad page size', () => {
    const v = small();
    v.writeUInt32LE(5, 16);
    expectRpmError(() => readBerkeleyDbPackages(v), 'RPM_DB_UNSUPPORTED', /hash version 5/);
    const p = small();
    p.writeUInt32LE(1000, 20);
    expectRpmError(() => readBerkeleyDbPackages(p), 'RPM_DB_INVALID', /page size 1000 is not a power of two/);
  });

  it('rejects more buckets than the file has pages', () => {
    const b = small();
    b.writeUInt32LE(0xffffffff, 72);
    expectRpmError(
      () => readBerkeleyDbPackages(b),
      'RPM_DB_INVALID',
      /max_bucket 4294967295 exceeds the \d+ pages/,
    );
  });

  it('rejects a truncated file whose bucket pages are missing', () => {
    const whole = small();
    expectRpmError(
      () => readBerkeleyDbPackages(whole.subarray(0, 1024)),
      'RPM_DB_INVALID',
      /max_bucket \d+ exceeds the 2 pages/,
    );
  });

  it('rejects a file cut in half, naming the missing page', () => {
    const whole = small();
    expectRpmError(
      () => readBerkeleyDbPackages(whole.subarray(0, Math.floor(whole.length / 1024) * 512)),
      'RPM_DB_INVALID',
      /bucket \d+'s page is page \d+, beyond the \d+ pages of the file \(truncated\?\)/,
    );
  });

  it('skips a record whose overflow chain leads beyond the file, and keeps the others', () => {
    const b = small();
    const pages = b.length / 512;
    let cut = -1;
    for (let pg = 1; pg < pages && cut < 0; pg++) {
      if (b[pg * 512 + 25] === 7 && b.readUInt32LE(pg * 512 + 16) !== 0) {
        b.writeUInt32LE(pages + 100, pg * 512 + 16);
        cut = pg;
      }
    }
    expect(cut).toBeGreaterThan(0);
    const db = readBerkeleyDbPackages(b);
    expect(db.problems).toEqual([
      expect.stringMatching(
        new RegExp(`^record \\d+: overflow page ${pages + 100} is beyond the ${pages} pages of the file$`),
      ),
    ]);
    expect(db.records).toHaveLength(128);
  });

  it('skips a record whose overflow chain loops back on itself', () => {
    const b = small();
    const pages = b.length / 512;
    // The first overflow page that continues a chain is pointed back at itself.
    let looped = -1;
    for (let pg = 1; pg < pages && looped < 0; pg++) {
      if (b[pg * 512 + 25] === 7 && b.readUInt32LE(pg * 512 + 16) !== 0) {
        b.writeUInt32LE(pg, pg * 512 + 16);
        looped = pg;
      }
    }
    expect(looped).toBeGreaterThan(0);
    const db = readBerkeleyDbPackages(b);
    expect(db.problems).toEqual([
      expect.stringMatching(new RegExp(`^record \\d+: overflow page ${looped} is reached twice`)),
    ]);
    expect(db.records).toHaveLength(128);
  });

  it('rejects a hash page whose item offsets point outside the page', () => {
    const b = small();
    const pages = b.length / 512;
    let hashPage = -1;
    for (let pg = 1; pg < pages && hashPage < 0; pg++) {
      if (b[pg * 512 + 25] === 13 && b.readUInt16LE(pg * 512 + 20) > 0) hashPage = pg;
    }
    b.writeUInt16LE(3, hashPage * 512 + 26);
    expectRpmError(
      () => readBerkeleyDbPackages(b),
      'RPM_DB_INVALID',
      new RegExp(`hash page ${hashPage}: item 0 spans bytes 3\\.\\.512`),
    );
  });
});
