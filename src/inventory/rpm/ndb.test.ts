import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { RpmError } from './errors.js';
import { parseRpmHeader } from './header.js';
import { adler32, readNdbPackages } from './ndb.js';
import { formatRpmEvr, readRpmPackageInfo } from './package.js';
import type { RpmDbContents } from './records.js';

// The SLE 15 BCI Packages.db was written by SUSE's rpm (rpm-ndb 4.14.3). Debian's rpm is built
// without the ndb backend, so rpm cannot list it here directly; instead the header blobs read
// from it are put into a Berkeley DB by libdb's db5.3_load, which Debian's rpm reads (bdb_ro):
// rpm then validates every blob as a header and lists what it holds.

const SLE = readFileSync(sharedData('pkgdb-fixtures', 'rpm', 'sle15-bci', 'Packages.db'));
const QF = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';
const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-ndb-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function rowsOf(contents: RpmDbContents): string[] {
  return contents.records
    .map((r) => {
      const i = readRpmPackageInfo(parseRpmHeader(r.blob));
      return `${i.name}\t${String(i.epoch ?? 0)}\t${i.version}\t${i.release}\t${i.arch ?? '(none)'}\t${i.sourceRpm ?? '(none)'}`;
    })
    .sort();
}

/** `rpm -qa` over the given records, re-homed into a Berkeley DB Packages file. */
function rpmQaOf(contents: RpmDbContents): string[] {
  const dir = path.join(work, 'bdb');
  execFileSync('mkdir', ['-p', dir]);
  const key = (n: number): string => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b.toString('hex');
  };
  const text = [
    'VERSION=3',
    'format=bytevalue',
    'type=hash',
    'HEADER=END',
    ...contents.records.flatMap((r) => [` ${key(r.instance)}`, ` ${r.blob.toString('hex')}`]),
    'DATA=END',
    '',
  ].join('\n');
  execFileSync('db5.3_load', [path.join(dir, 'Packages')], { input: text });
  const out = execFileSync('rpm', ['--dbpath', dir, '-D', '_db_backend bdb_ro', '-qa', '--qf', QF], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('readNdbPackages on a database SUSE’s rpm wrote', () => {
  const db = readNdbPackages(SLE);

  it('reads all 35 headers, by package index, with no problems', () => {
    expect(db.problems).toEqual([]);
    expect(db.records).toHaveLength(35);
    const instances = db.records.map((r) => r.instance);
    expect(instances).toEqual([...instances].sort((a, b) => a - b));
    expect(instances.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('gives headers rpm accepts and lists exactly as read here', () => {
    expect(rowsOf(db)).toEqual(rpmQaOf(db));
  });

  it.each([
    ['glibc', '2.31-9.3.2', 'x86_64', 'glibc-2.31-9.3.2.src.rpm'],
    ['bash', '4.4-19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm'],
    ['libreadline7', '7.0-19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm'],
    [
      'ca-certificates-mozilla-prebuilt',
      '2.44-21.1',
      'noarch',
      'ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm',
    ],
    ['rpm-ndb', '4.14.3-40.1', 'x86_64', 'rpm-ndb-4.14.3-40.1.src.rpm'],
  ])('has %s %s (%s) from %s', (name, evr, arch, sourceRpm) => {
    const infos = db.records.map((r) => readRpmPackageInfo(parseRpmHeader(r.blob)));
    const found = infos.find((i) => i.name === name);
    expect(found === undefined ? undefined : [formatRpmEvr(found), found.arch, found.sourceRpm]).toEqual([
      evr,
      arch,
      sourceRpm,
    ]);
  });
});

describe('adler32', () => {
  it.each([
    ['empty input', Buffer.alloc(0)],
    ['a short text', Buffer.from('Wikipedia')],
    ['256 KiB of 0xff (many reductions)', Buffer.alloc(256 * 1024, 0xff)],
    ['the whole SLE database', SLE],
  ])('agrees with zlib’s trailer for %s', (_, data) => {
    // A zlib stream ends with the Adler-32 of its input, big-endian (RFC 1950 §2.2).
    const z = deflateSync(data, { level: 0 });
    expect(adler32(data)).toBe(z.readUInt32BE(z.length - 4));
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
  expect((thrown as RpmError).message).toMatch(/^ndb: /);
  expect((thrown as RpmError).message).toMatch(reason);
}

/** Byte offset of slot `n` (slot 2 is the first: the 32-byte header takes slots 0 and 1). */
const slotAt = (n: number): number => n * 16;

describe('readNdbPackages on damaged or foreign files', () => {
  const damaged = (change: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(SLE);
    change(b);
    return b;
  };

  it('rejects a file without the RpmP magic', () => {
    expectRpmError(() => readNdbPackages(Buffer.alloc(8192)), 'RPM_DB_INVALID', /no "RpmP" magic/);
  });

  it('rejects a file shorter than its header', () => {
    expectRpmError(
      () => readNdbPackages(SLE.subarray(0, 20)),
      'RPM_DB_INVALID',
      /20 bytes is shorter than the 32-byte header/,
    );
  });

  it('names another ndb version as unsupported', () => {
    expectRpmError(
      () => readNdbPackages(damaged((b) => b.writeUInt32LE(1, 4))),
      'RPM_DB_UNSUPPORTED',
      /version 1/,
    );
  });

  it('rejects slot pages that do not fit the file', () => {
    expectRpmError(
      () => readNdbPackages(damaged((b) => b.writeUInt32LE(100000, 12))),
      'RPM_DB_INVALID',
      /100000 slot pages do not fit/,
    );
    expectRpmError(
      () => readNdbPackages(damaged((b) => b.writeUInt32LE(0, 12))),
      'RPM_DB_INVALID',
      /0 slot pages/,
    );
  });

  it('rejects a slot table with a broken slot', () => {
    expectRpmError(
      () => readNdbPackages(damaged((b) => b.write('Xlot', slotAt(5)))),
      'RPM_DB_INVALID',
      /slot 5 has no "Slot" magic/,
    );
  });

  const skipped: readonly { name: string; change: (b: Buffer) => void; problem: RegExp }[] = [
    {
      name: 'a blob with a changed byte (adler32)',
      change: (b) => {
        const at = b.readUInt32LE(slotAt(2) + 8) * 16 + 100;
        b[at] = (b[at] ?? 0) ^ 0xff;
      },
      problem: /^package 1 \(slot 2\): adler32 checksum mismatch \(corrupt blob\); skipped$/,
    },
    {
      name: 'a blob without its head magic',
      change: (b) => b.write('XXXX', b.readUInt32LE(slotAt(3) + 8) * 16),
      problem: /^package 2 \(slot 3\): no blob head magic "BlbS"; skipped$/,
    },
    {
      name: 'a slot whose blocks run past the file',
      change: (b) => b.writeUInt32LE(0x0fffffff, slotAt(4) + 8),
      problem:
        /^package 3 \(slot 4\): blocks 268435455\+\d+ run past the end of the file \(truncated\?\); skipped$/,
    },
    {
      name: 'a slot pointing into the slot pages',
      change: (b) => b.writeUInt32LE(3, slotAt(4) + 8),
      problem: /^slot 4: package 3 at block 3\+\d+ is not a valid slot; skipped$/,
    },
    {
      name: 'a slot whose block count disagrees with the blob',
      change: (b) => b.writeUInt32LE(b.readUInt32LE(slotAt(2) + 12) + 1, slotAt(2) + 12),
      problem: /^package 1 \(slot 2\): blob length \d+ needs \d+ blocks, the slot has \d+; skipped$/,
    },
    {
      name: 'two slots for one package',
      change: (b) => b.writeUInt32LE(1, slotAt(3) + 4),
      problem: /^slot 3: package 1 has a second slot; skipped$/,
    },
  ];

  it.each(skipped)('skips $name, naming it, and reads the rest', ({ change, problem }) => {
    const db = readNdbPackages(damaged(change));
    expect(db.problems).toEqual([expect.stringMatching(problem)]);
    expect(db.records).toHaveLength(34);
  });

  it('names every package cut off by truncation', () => {
    const db = readNdbPackages(SLE.subarray(0, Math.floor(SLE.length / 2)));
    expect(db.records.length).toBeGreaterThan(0);
    expect(db.problems.length).toBeGreaterThan(0);
    expect(db.records.length + db.problems.length).toBe(35);
    for (const p of db.problems) expect(p).toMatch(/run past the end of the file \(truncated\?\); skipped$/);
  });
});
