// rpm's Berkeley DB `Packages` file (rpm < 4.16, EL ≤ 8, SLES < 15 SP3, Amazon Linux 2): a
// Berkeley DB hash database mapping a 4-byte instance number to a header blob. Read here without
// libdb, from the on-disk format in libdb's src/dbinc/db_page.h and hash.h:
//
// - Page 0 is the hash metadata page (HMETA): magic 0x061561 at 12, version at 16, page size at
//   20, encryption at 24, page type 8 at 25, meta flags at 26 (0x01: pages carry checksums),
//   flags at 48, max_bucket at 72, spares[32] at 96. All integers in the byte order of the
//   machine that wrote the file; the magic tells which.
// - Bucket b lives on page b + spares[ceil(log2(b + 1))], continued through next_pgno.
// - Every page has a 26-byte header (pgno 8, prev 12, next 16, entries 20, hf_offset 22,
//   type 25), 32 bytes when pages carry checksums; then `entries` uint16 item offsets. Items pair
//   up as key, data; item i runs from its offset to item i-1's (or the page end for i = 0).
// - An item starts with its kind: H_KEYDATA (1, bytes follow), H_OFFPAGE (3: pgno at 4, total
//   length at 8) for values stored on a chain of overflow pages (type 7) that each hold
//   hf_offset bytes after the header.
//
// The instance-0 record holds rpm's next-instance counter, not a header, and is skipped.
import { RpmError } from './errors.js';
import { byInstance, type RpmDbContents, type RpmDbRecord } from './records.js';

const HASH_MAGIC = 0x061561;
const OTHER_MAGICS: ReadonlyMap<number, string> = new Map([
  [0x053162, 'btree'],
  [0x042253, 'queue'],
  [0x074582, 'heap'],
]);
/** Hash format versions of Berkeley DB 4.3 to 18.1; the page layout read here is the same in all. */
const HASH_VERSIONS: ReadonlySet<number> = new Set([8, 9, 10]);
const META_BYTES = 512;
const PAGE_HEADER_BYTES = 26;
/** With checksums the header grows by 2 bytes of padding and a 4-byte checksum (PG_CHKSUM). */
const CHECKSUM_PAGE_HEADER_BYTES = 32;
const DBMETA_CHKSUM = 0x01;
const DB_HASH_SUBDB = 0x02;

const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;

const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const HOFFPAGE_BYTES = 12;

function invalid(message: string): never {
  throw new RpmError('RPM_DB_INVALID', `Berkeley DB: ${message}`);
}

function unsupported(message: string): never {
  throw new RpmError('RPM_DB_UNSUPPORTED', `Berkeley DB: ${message}`);
}

/** ceil(log2(n)) for n ≥ 1, as libdb's __db_log2 computes it. */
function ceilLog2(n: number): number {
  let i = 0;
  for (let limit = 1; limit < n; limit *= 2) i++;
  return i;
}

type Endian = 'le' | 'be';

class Pages {
  readonly count: number;
  readonly headerBytes: number;

  constructor(
    readonly file: Buffer,
    readonly endian: Endian,
    readonly pageSize: number,
    checksums: boolean,
  ) {
    this.count = Math.floor(file.length / pageSize);
    this.headerBytes = checksums ? CHECKSUM_PAGE_HEADER_BYTES : PAGE_HEADER_BYTES;
  }

  u16(buf: Buffer, at: number): number {
    return this.endian === 'le' ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  u32(buf: Buffer, at: number): number {
    return this.endian === 'le' ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  page(pgno: number, what: string): Buffer {
    if (pgno >= this.count)
      invalid(`${what} is page ${pgno}, beyond the ${this.count} pages of the file (truncated?)`);
    return this.file.subarray(pgno * this.pageSize, (pgno + 1) * this.pageSize);
  }
}

type Item =
  | { readonly kind: 'inline'; readonly bytes: Buffer }
  | { readonly kind: 'offpage'; readonly pgno: number; readonly length: number };

/** Reads one item of a hash page, checking it lies inside the page. */
function readItem(pages: Pages, page: Buffer, pgno: number, offsets: readonly number[], i: number): Item {
  const start = offsets[i] ?? 0;
  const end = i === 0 ? pages.pageSize : (offsets[i - 1] ?? 0);
  const indexEnd = pages.headerBytes + 2 * offsets.length;
  if (start < indexEnd || start >= end || end > pages.pageSize) {
    invalid(
      `hash page ${pgno}: item ${i} spans bytes ${start}..${end}, outside ${indexEnd}..${pages.pageSize}`,
    );
  }
  const item = page.subarray(start, end);
  const kind = item[0];
  if (kind === H_KEYDATA) return { kind: 'inline', bytes: item.subarray(1) };
  if (kind === H_OFFPAGE) {
    if (item.length < HOFFPAGE_BYTES)
      invalid(`hash page ${pgno}: item ${i} is too short for an off-page reference`);
    return { kind: 'offpage', pgno: pages.u32(item, 4), length: pages.u32(item, 8) };
  }
  if (kind === H_DUPLICATE || kind === H_OFFDUP) {
    // rpm opens Packages without DB_DUP; duplicates mean this is not an rpm database.
    unsupported(`hash page ${pgno}: item ${i} holds duplicate keys, which rpm's Packages never has`);
  }
  return invalid(`hash page ${pgno}: item ${i} has unknown kind ${String(kind)}`);
}

/**
 * Collects an off-page item from its overflow chain. Each overflow page belongs to one item, so
 * a page seen before (a cycle, or two items sharing pages) is an error: this bounds the work by
 * the file's page count whatever the file says.
 */
function readOverflow(pages: Pages, first: number, length: number, seen: Set<number>): Buffer {
  if (length > pages.file.length) {
    throw new Error(`off-page item claims ${length} bytes, more than the ${pages.file.length}-byte file`);
  }
  const chunks: Buffer[] = [];
  let collected = 0;
  let pgno = first;
  while (collected < length) {
    if (pgno === 0) throw new Error(`overflow chain ends after ${collected} of ${length} bytes`);
    if (seen.has(pgno)) throw new Error(`overflow page ${pgno} is reached twice (a cycle or a shared page)`);
    seen.add(pgno);
    if (pgno >= pages.count)
      throw new Error(`overflow page ${pgno} is beyond the ${pages.count} pages of the file`);
    const page = pages.file.subarray(pgno * pages.pageSize, (pgno + 1) * pages.pageSize);
    const type = page[25];
    if (type !== P_OVERFLOW)
      throw new Error(`page ${pgno} in an overflow chain has type ${String(type)}, not overflow (7)`);
    // On overflow pages hf_offset holds the number of data bytes on the page (OV_LEN).
    const onPage = pages.u16(page, 22);
    if (pages.headerBytes + onPage > pages.pageSize || collected + onPage > length) {
      throw new Error(`overflow page ${pgno} says it holds ${onPage} bytes, more than fit or remain`);
    }
    chunks.push(page.subarray(pages.headerBytes, pages.headerBytes + onPage));
    collected += onPage;
    pgno = pages.u32(page, 16);
  }
  return Buffer.concat(chunks, length);
}

/** The meta page's byte order, from where the hash magic reads correctly. */
function endianOf(file: Buffer): Endian {
  const le = file.readUInt32LE(12);
  const be = file.readUInt32BE(12);
  if (le === HASH_MAGIC) return 'le';
  if (be === HASH_MAGIC) return 'be';
  const other = OTHER_MAGICS.get(le) ?? OTHER_MAGICS.get(be);
  if (other !== undefined) unsupported(`a ${other} database; rpm's Packages is a hash database`);
  return invalid(`no Berkeley DB hash magic (0x061561) at byte 12: not a Berkeley DB file`);
}

/**
 * Reads the header records of rpm's Berkeley DB `Packages` hash database (either byte order,
 * with or without page checksums). Records whose overflow chain is broken are skipped and named
 * in `problems`.
 *
 * @throws RpmError RPM_DB_UNSUPPORTED for encrypted databases, sub-databases, other access
 *   methods (btree, queue, heap) or unknown hash versions; RPM_DB_INVALID for a file that is
 *   not a Berkeley DB hash database or whose metadata or hash pages are corrupt or truncated.
 */
export function readBerkeleyDbPackages(file: Buffer): RpmDbContents {
  if (file.length < META_BYTES) invalid(`${file.length} bytes is shorter than a metadata page (512 bytes)`);
  const endian = endianOf(file);
  const probe = new Pages(file, endian, META_BYTES, false);
  const version = probe.u32(file, 16);
  if (!HASH_VERSIONS.has(version)) unsupported(`hash version ${version} (read: 8 to 10)`);
  const pageSize = probe.u32(file, 20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    invalid(`page size ${pageSize} is not a power of two from 512 to 65536`);
  }
  if (file[24] !== 0) unsupported('the database is encrypted');
  if (file[25] !== P_HASHMETA) invalid(`page 0 has type ${String(file[25])}, not hash metadata (8)`);
  if ((probe.u32(file, 48) & DB_HASH_SUBDB) !== 0) unsupported('the file holds sub-databases');
  const checksums = ((file[26] ?? 0) & DBMETA_CHKSUM) !== 0;
  const pages = new Pages(file, endian, pageSize, checksums);
  if (pages.count < 2) invalid(`${file.length} bytes hold no page besides the metadata page`);
  const maxBucket = pages.u32(file, 72);
  // Every bucket has its own page, so more buckets than pages is corruption (and a loop bound).
  if (maxBucket >= pages.count)
    invalid(`max_bucket ${maxBucket} exceeds the ${pages.count} pages of the file`);
  const spares: number[] = [];
  for (let i = 0; i < 32; i++) spares.push(pages.u32(file, 96 + 4 * i));

  const records: RpmDbRecord[] = [];
  const problems: string[] = [];
  const seenHashPages = new Set<number>();
  const seenOverflow = new Set<number>();
  for (let bucket = 0; bucket <= maxBucket; bucket++) {
    let pgno = bucket + (spares[ceilLog2(bucket + 1)] ?? 0);
    if (pgno === 0) invalid(`bucket ${bucket} maps to page 0, the metadata page`);
    while (pgno !== 0) {
      if (seenHashPages.has(pgno)) invalid(`bucket ${bucket}: hash page ${pgno} is reached twice (a cycle)`);
      seenHashPages.add(pgno);
      const page = pages.page(pgno, `bucket ${bucket}'s page`);
      const type = page[25];
      if (type !== P_HASH && type !== P_HASH_UNSORTED) {
        invalid(`bucket ${bucket}: page ${pgno} has type ${String(type)}, not a hash page (13 or 2)`);
      }
      const entries = pages.u16(page, 20);
      if (entries % 2 !== 0 || pages.headerBytes + 2 * entries > pageSize) {
        invalid(`hash page ${pgno}: ${entries} items do not pair up or do not fit the page`);
      }
      const offsets: number[] = [];
      for (let i = 0; i < entries; i++) offsets.push(pages.u16(page, pages.headerBytes + 2 * i));
      for (let i = 0; i < entries; i += 2) {
        const key = readItem(pages, page, pgno, offsets, i);
        const value = readItem(pages, page, pgno, offsets, i + 1);
        if (key.kind !== 'inline' || key.bytes.length !== 4) {
          problems.push(`hash page ${pgno}: item ${i} is not a 4-byte instance number; skipped`);
          continue;
        }
        const instance = pages.u32(key.bytes, 0);
        if (instance === 0) continue;
        try {
          const blob =
            value.kind === 'inline'
              ? value.bytes
              : readOverflow(pages, value.pgno, value.length, seenOverflow);
          records.push({ instance, blob });
        } catch (err) {
          problems.push(`record ${instance}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      pgno = pages.u32(page, 16);
    }
  }
  return { records: byInstance(records), problems };
}
