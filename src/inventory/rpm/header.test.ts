import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { readBerkeleyDbPackages } from './bdb.js';
import { RpmError } from './errors.js';
import { parseRpmHeader, RpmTag } from './header.js';
import { readRpmPackageInfo } from './package.js';

// Headers are written here byte by byte in rpm's layout (8-byte intro, 16-byte index entries,
// data store; region trailer last in the region's data, dribbles after it), so each test can
// break exactly one rule. Real headers come from the fixtures in ../shared/data.

type Value =
  | { readonly tag: number; readonly string: string }
  | { readonly tag: number; readonly strings: readonly string[]; readonly i18n?: boolean }
  | { readonly tag: number; readonly int32: readonly number[] }
  | { readonly tag: number; readonly int16: readonly number[] };

const TYPE = { INT16: 3, INT32: 4, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

function encode(v: Value): { type: number; count: number; align: number; bytes: Buffer } {
  if ('string' in v) return { type: TYPE.STRING, count: 1, align: 1, bytes: Buffer.from(`${v.string}\0`) };
  if ('strings' in v) {
    const type = v.i18n === true ? TYPE.I18NSTRING : TYPE.STRING_ARRAY;
    return {
      type,
      count: v.strings.length,
      align: 1,
      bytes: Buffer.from(v.strings.map((s) => `${s}\0`).join('')),
    };
  }
  if ('int32' in v) {
    const bytes = Buffer.alloc(4 * v.int32.length);
    v.int32.forEach((n, i) => bytes.writeUInt32BE(n, 4 * i));
    return { type: TYPE.INT32, count: v.int32.length, align: 4, bytes };
  }
  const bytes = Buffer.alloc(2 * v.int16.length);
  v.int16.forEach((n, i) => bytes.writeUInt16BE(n, 2 * i));
  return { type: TYPE.INT16, count: v.int16.length, align: 2, bytes };
}

function entryBytes(tag: number, type: number, offset: number, count: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(tag, 0);
  b.writeUInt32BE(type, 4);
  b.writeInt32BE(offset, 8);
  b.writeUInt32BE(count, 12);
  return b;
}

/** A header blob: with a HEADERIMMUTABLE region around `values` (unless `region` is false) and `dribbles` after it. */
function buildHeader(
  values: readonly Value[],
  options: { region?: boolean; dribbles?: readonly Value[] } = {},
): Buffer {
  const region = options.region ?? true;
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let size = 0;
  const place = (v: Value): void => {
    const e = encode(v);
    const pad = (e.align - (size % e.align)) % e.align;
    data.push(Buffer.alloc(pad));
    size += pad;
    index.push(entryBytes(v.tag, e.type, size, e.count));
    data.push(e.bytes);
    size += e.bytes.length;
  };
  for (const v of values) place(v);
  if (region) {
    const ril = values.length + 1;
    index.unshift(entryBytes(RpmTag.HEADERIMMUTABLE, TYPE.BIN, size, 16));
    data.push(entryBytes(RpmTag.HEADERIMMUTABLE, TYPE.BIN, -16 * ril, 16));
    size += 16;
  }
  for (const v of options.dribbles ?? []) place(v);
  const intro = Buffer.alloc(8);
  intro.writeUInt32BE(index.length, 0);
  intro.writeUInt32BE(size, 4);
  return Buffer.concat([intro, ...index, ...data]);
}

/** A copy of `blob` with one 32-bit field of index entry `i` (0 tag, 1 type, 2 offset, 3 count) set. */
function withEntryField(blob: Buffer, i: number, field: 0 | 1 | 2 | 3, value: number): Buffer {
  const copy = Buffer.from(blob);
  copy.writeInt32BE(value, 8 + 16 * i + 4 * field);
  return copy;
}

function withIntro(blob: Buffer, il: number, dl: number): Buffer {
  const copy = Buffer.from(blob);
  copy.writeUInt32BE(il, 0);
  copy.writeUInt32BE(dl, 4);
  return copy;
}

const BASIC: readonly Value[] = [
  { tag: RpmTag.NAME, string: 'bash' },
  { tag: RpmTag.VERSION, string: '5.2.15' },
  { tag: RpmTag.RELEASE, string: '3.el9' },
];

/** BASIC with a region: il 4, dl = strings + 16-byte trailer. */
const basic = buildHeader(BASIC);
const basicDl = basic.readUInt32BE(4);

function el8Blob(): Buffer {
  const db = readBerkeleyDbPackages(
    readFileSync(sharedData('pkgdb-fixtures', 'rpm', 'libuuid-el8', 'Packages')),
  );
  const blob = db.records[0]?.blob;
  if (blob === undefined) throw new Error('the el8 fixture has no record');
  return blob;
}

describe('parseRpmHeader on well-formed headers', () => {
  it('reads string, string array, i18n string, INT16 and INT32 tags inside a region', () => {
    const h = parseRpmHeader(
      buildHeader([
        ...BASIC,
        { tag: RpmTag.EPOCH, int32: [2] },
        { tag: 1004, strings: ['The GNU Bourne Again shell', 'Die Bourne-Shell'], i18n: true },
        { tag: RpmTag.FILEMODES, int16: [0o40755, 0o100644] },
        { tag: RpmTag.DIRINDEXES, int32: [0, 1] },
        { tag: RpmTag.BASENAMES, strings: ['bin', 'bash'] },
      ]),
    );
    expect([h.string(RpmTag.NAME), h.string(RpmTag.VERSION), h.string(RpmTag.RELEASE)]).toEqual([
      'bash',
      '5.2.15',
      '3.el9',
    ]);
    expect(h.int32s(RpmTag.EPOCH)).toEqual([2]);
    expect(h.string(1004)).toBe('The GNU Bourne Again shell');
    expect(h.int16s(RpmTag.FILEMODES)).toEqual([0o40755, 0o100644]);
    expect(h.strings(RpmTag.BASENAMES)).toEqual(['bin', 'bash']);
    expect(h.has(RpmTag.ARCH)).toBe(false);
    expect(h.string(RpmTag.ARCH)).toBeUndefined();
    expect(h.tags()).toEqual([1000, 1001, 1002, 1003, 1004, 1030, 1116, 1117]);
  });

  it('lets install-time entries after the region replace region entries with the same tag', () => {
    const h = parseRpmHeader(
      buildHeader([...BASIC, { tag: RpmTag.OLDFILENAMES, strings: ['/old/name'] }], {
        dribbles: [
          { tag: RpmTag.RELEASE, string: '4.el9' },
          { tag: RpmTag.DIRNAMES, strings: ['/usr/bin/'] },
          { tag: RpmTag.DIRINDEXES, int32: [0] },
          { tag: RpmTag.BASENAMES, strings: ['bash'] },
        ],
      }),
    );
    expect(h.string(RpmTag.RELEASE)).toBe('4.el9');
    // New-style file names replace the old-style ones, as rpm's header import does.
    expect(h.has(RpmTag.OLDFILENAMES)).toBe(false);
    expect(readRpmPackageInfo(h).files).toEqual(['/usr/bin/bash']);
  });

  it('reads a header without a region (the pre-rpm-4 layout)', () => {
    const h = parseRpmHeader(buildHeader(BASIC, { region: false }));
    expect(h.string(RpmTag.NAME)).toBe('bash');
  });

  it('reads a real header stored by rpm (EL8 libuuid)', () => {
    const h = parseRpmHeader(el8Blob());
    expect([
      h.string(RpmTag.NAME),
      h.string(RpmTag.VERSION),
      h.string(RpmTag.RELEASE),
      h.string(RpmTag.ARCH),
    ]).toEqual(['libuuid', '2.32.1', '42.el8_8', 'x86_64']);
  });
});

describe('parseRpmHeader on hostile headers', () => {
  const unterminated = (() => {
    const b = buildHeader([{ tag: RpmTag.NAME, string: 'abc' }], { region: false });
    b[b.length - 1] = 0x41; // the only NUL of the data store
    return b;
  })();
  const cases: readonly { name: string; blob: Buffer; reason: RegExp }[] = [
    {
      name: 'an empty blob',
      blob: Buffer.alloc(0),
      reason: /blob of 0 bytes is shorter than the 8-byte header intro/,
    },
    {
      name: 'a truncated blob',
      blob: basic.subarray(0, basic.length - 1),
      reason: new RegExp(
        `truncated: 4 index entries and ${basicDl} data bytes need ${basic.length} bytes, the blob has ${basic.length - 1}`,
      ),
    },
    {
      name: 'bytes after the declared end',
      blob: Buffer.concat([basic, Buffer.alloc(3)]),
      reason: /3 unexpected bytes after the declared end/,
    },
    {
      name: 'no index entries',
      blob: withIntro(basic, 0, basicDl),
      reason: /index entry count 0 is outside 1\.\.65535/,
    },
    {
      name: 'more index entries than rpm allows',
      blob: withIntro(basic, 0x10000, basicDl),
      reason: /index entry count 65536 is outside/,
    },
    {
      name: 'an index count beyond the data',
      blob: withIntro(basic, 60000, basicDl),
      reason: /truncated: 60000 index entries and \d+ data bytes need 960\d+ bytes, the blob has \d+/,
    },
    {
      name: 'a data size beyond rpm’s limit',
      blob: withIntro(basic, 4, 0x7fffffff),
      reason: /data store size 2147483647 exceeds rpm's limit/,
    },
    {
      name: 'a data size beyond the blob',
      blob: withIntro(basic, 4, basicDl + 100),
      reason: /truncated: 4 index entries/,
    },
    {
      name: 'an offset past the data store',
      blob: withEntryField(basic, 1, 2, basicDl + 1),
      reason: new RegExp(
        `entry 1 \\(tag 1000 \\(NAME\\), STRING, offset ${basicDl + 1}, count 1\\): offset outside the ${basicDl}-byte data store`,
      ),
    },
    {
      name: 'a negative offset',
      blob: withEntryField(basic, 2, 2, -8),
      reason: /entry 2 .*: offset outside the/,
    },
    {
      name: 'a count of zero',
      blob: withEntryField(basic, 1, 3, 0),
      reason: /entry 1 .*: count outside 1\.\./,
    },
    {
      name: 'a count larger than the data',
      blob: withEntryField(basic, 1, 3, 1 << 30),
      reason: /entry 1 .*: count outside 1\.\./,
    },
    {
      name: 'a STRING with count 2',
      blob: withEntryField(basic, 3, 3, 2),
      reason: /a STRING entry must have count 1/,
    },
    {
      name: 'a string array with more strings than the data holds',
      blob: withEntryField(
        withEntryField(buildHeader(BASIC, { region: false }), 2, 1, TYPE.STRING_ARRAY),
        2,
        3,
        10,
      ),
      reason: /entry 2 .*: string 2 of 10 is not terminated inside the 18-byte data store/,
    },
    { name: 'a string without a terminator', blob: unterminated, reason: /string 1 of 1 is not terminated/ },
    {
      name: 'data reaching into the region trailer',
      blob: withEntryField(withEntryField(basic, 3, 1, TYPE.STRING_ARRAY), 3, 3, 3),
      reason: /entry 3 .*: data overlaps the region trailer at 18/,
    },
    {
      name: 'INT32 data running past the store',
      blob: withEntryField(withEntryField(basic, 3, 1, TYPE.INT32), 3, 3, 6),
      reason: /entry 3 .*INT32, offset 12, count 6\): 24 bytes of data run past the 34-byte data store/,
    },
    {
      name: 'a misaligned INT32',
      blob: withEntryField(withEntryField(basic, 2, 1, TYPE.INT32), 2, 2, 5),
      reason: /offset not aligned to 4 bytes/,
    },
    {
      name: 'an unknown data type',
      blob: withEntryField(basic, 1, 1, 42),
      reason: /entry 1 .*unknown type 42.*: unknown data type/,
    },
    {
      name: 'the NULL type',
      blob: withEntryField(basic, 1, 1, 0),
      reason: /entry 1 .*NULL.*: unknown data type/,
    },
    {
      name: 'overlapping entries',
      blob: withEntryField(basic, 2, 2, 0),
      reason: /entry 2 .*: data overlaps the previous entry's \(which ends at 5\)/,
    },
    {
      name: 'a second region tag',
      blob: withEntryField(basic, 2, 0, RpmTag.HEADERIMMUTABLE),
      reason: /entry 2 .*: tag below 100 outside the region slot/,
    },
    {
      name: 'a region entry of the wrong type',
      blob: withEntryField(basic, 0, 1, TYPE.STRING),
      reason: /region tag 63 \(HEADERIMMUTABLE\): type STRING count 16, expected BIN count 16/,
    },
    {
      name: 'a region trailer outside the data',
      blob: withEntryField(basic, 0, 2, basicDl - 8),
      reason: /region .*: trailer offset \d+ is outside the \d+-byte data store/,
    },
    {
      name: 'a region trailer of another tag',
      blob: (() => {
        const b = Buffer.from(basic);
        b.writeUInt32BE(RpmTag.HEADERSIGNATURES, b.length - 16);
        return b;
      })(),
      reason: /region .*: bad trailer \(tag 62, type 7, count 16\)/,
    },
    {
      name: 'a region covering more entries than the index has',
      blob: (() => {
        const b = Buffer.from(basic);
        b.writeInt32BE(-16 * 9, b.length - 8);
        return b;
      })(),
      reason: /trailer covers 144 index bytes, not 1\.\.4 whole entries/,
    },
  ];

  it.each(cases)('rejects $name with a clear reason', ({ blob, reason }) => {
    let thrown: unknown;
    try {
      parseRpmHeader(blob);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RpmError);
    expect((thrown as RpmError).code).toBe('RPM_HEADER_INVALID');
    expect((thrown as RpmError).message).toMatch(/^rpm header: /);
    expect((thrown as RpmError).message).toMatch(reason);
  });

  it('rejects reading a tag as the wrong type', () => {
    const h = parseRpmHeader(
      buildHeader([
        { tag: RpmTag.NAME, int32: [1] },
        { tag: RpmTag.EPOCH, string: '1' },
      ]),
    );
    expect(() => h.string(RpmTag.NAME)).toThrow(/tag 1000 \(NAME\) has type INT32, expected a string/);
    expect(() => h.int32s(RpmTag.EPOCH)).toThrow(/tag 1003 \(EPOCH\) has type STRING, expected INT32/);
  });

  it('never fails other than with RpmError, whatever bytes of a real header are changed', () => {
    const real = el8Blob();
    // A fixed-seed generator (xorshift32), so a failure is reproducible.
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    let rejected = 0;
    for (let round = 0; round < 3000; round++) {
      const blob = Buffer.from(real);
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) {
        // Most changes go to the intro and index, where the structure lives.
        const limit = next() % 2 === 0 ? Math.min(blob.length, 8 + 16 * 80) : blob.length;
        blob[next() % limit] = next() & 0xff;
      }
      try {
        readRpmPackageInfo(parseRpmHeader(blob));
      } catch (err) {
        if (!(err instanceof RpmError)) throw err;
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
