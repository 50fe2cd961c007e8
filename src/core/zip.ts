// A zip reader for untrusted archives (Java archives in images, OSV database downloads), following PKWARE's APPNOTE.TXT (6.3.x):
// the end of central directory record (4.3.16), the zip64 end record and locator (4.3.14,
// 4.3.15), central directory headers (4.3.12), local file headers (4.3.7) and the zip64 extra
// field (4.5.3). Only what archive inspection needs: names, sizes, stored and deflated data.
// Every offset is checked against the buffer and every inflation is capped, so a hostile
// archive costs at most the caller's byte budget.
import { inflateRawSync } from 'node:zlib';
import { CoreError, errorMessage } from './errors.js';

/** A damaged or unsupported archive: CoreError ARCHIVE_INVALID naming what is wrong. */
function invalid(message: string): CoreError {
  return new CoreError('ARCHIVE_INVALID', message);
}

/** One central directory entry. */
export type ZipEntry = {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the local header, relative to the start of the archive proper. */
  readonly localOffset: number;
};

export type ZipDirectory = {
  /** The entries the caller selected, in directory order. */
  readonly entries: readonly ZipEntry[];
  /** All entries in the directory. */
  readonly total: number;
  /**
   * Bytes in front of the archive proper (a launcher script of a "fully executable" Spring Boot
   * jar, a self-extractor stub); the directory's offsets count from after them.
   */
  readonly prefix: number;
};

const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const EOCD_MAGIC = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
// Flag bits (4.4.4): 0 encrypted, 11 names in UTF-8.
const FLAG_ENCRYPTED = 1;
const FLAG_UTF8 = 1 << 11;
const STORED = 0;
const DEFLATED = 8;

function u16(buf: Buffer, at: number): number {
  return buf.readUInt16LE(at);
}
function u32(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at);
}
/** A zip64 field; sizes beyond 2^53 cannot fit any buffer and read as "too large". */
function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** The end of central directory record: searched backwards over the longest possible comment. */
function findEocd(buf: Buffer): number {
  const floor = Math.max(0, buf.length - EOCD_SIZE - MAX_COMMENT);
  const tail = buf.subarray(floor, buf.length - EOCD_SIZE + EOCD_MAGIC.length);
  for (let i = tail.lastIndexOf(EOCD_MAGIC); i >= 0; i = i === 0 ? -1 : tail.lastIndexOf(EOCD_MAGIC, i - 1)) {
    const at = floor + i;
    // The comment must end inside the file; otherwise these four bytes are just data.
    if (at + EOCD_SIZE + u16(buf, at + 20) <= buf.length) return at;
  }
  throw invalid('not a zip archive: no end of central directory record');
}

type Directory = { count: number; size: number; offset: number; end: number };

/** Where the central directory is, from the end record or, when it says so, the zip64 record. */
function locateDirectory(buf: Buffer, eocd: number): Directory {
  const count = u16(buf, eocd + 10);
  const size = u32(buf, eocd + 12);
  const offset = u32(buf, eocd + 16);
  if (count !== 0xffff && size !== 0xffffffff && offset !== 0xffffffff)
    return { count, size, offset, end: eocd };
  const locator = eocd - 20;
  if (locator < 0 || u32(buf, locator) !== ZIP64_LOCATOR)
    throw invalid('zip64 sizes without a zip64 end of central directory locator');
  // The record is where the locator says, unless bytes were prepended; then it sits right
  // before the locator (it has no extensible data in practice).
  const declared = u64(buf, locator + 8);
  const candidates = [declared, locator - ZIP64_EOCD_SIZE];
  const record = candidates.find(
    (at) => at >= 0 && at + ZIP64_EOCD_SIZE <= locator && u32(buf, at) === ZIP64_EOCD,
  );
  if (record === undefined) throw invalid('zip64 end of central directory record not found');
  return {
    count: u64(buf, record + 32),
    size: u64(buf, record + 40),
    offset: u64(buf, record + 48),
    end: record,
  };
}

/** Sizes and offset that the 32-bit fields mark as 0xffffffff come from the zip64 extra field, in order. */
function applyZip64(
  buf: Buffer,
  extra: number,
  extraEnd: number,
  fields: { size: number; compressedSize: number; localOffset: number },
): void {
  for (let at = extra; at + 4 <= extraEnd;) {
    const id = u16(buf, at);
    const len = u16(buf, at + 2);
    const data = at + 4;
    if (data + len > extraEnd) break;
    if (id === 0x0001) {
      let p = data;
      const take = (): number => {
        if (p + 8 > data + len) throw invalid('zip64 extra field shorter than the values it must hold');
        const v = u64(buf, p);
        p += 8;
        return v;
      };
      if (fields.size === 0xffffffff) fields.size = take();
      if (fields.compressedSize === 0xffffffff) fields.compressedSize = take();
      if (fields.localOffset === 0xffffffff) fields.localOffset = take();
      return;
    }
    at = data + len;
  }
}

/**
 * Reads the central directory, keeping the entries `select` picks by name.
 * @throws CoreError ARCHIVE_INVALID when there is no end record, the directory lies outside the buffer, an
 *   entry header is damaged, or there are more than `maxEntries` entries.
 */
export function readZipDirectory(
  buf: Buffer,
  select: (name: string) => boolean,
  maxEntries: number,
): ZipDirectory {
  if (buf.length < EOCD_SIZE) throw invalid('not a zip archive: shorter than an end record');
  const eocd = findEocd(buf);
  const dir = locateDirectory(buf, eocd);
  const start = dir.end - dir.size;
  if (dir.size > dir.end || start < 0) throw invalid('central directory larger than the archive');
  const prefix = start - dir.offset;
  if (prefix < 0) throw invalid('central directory offset points past its own position (truncated archive?)');
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let at = start; total < dir.count && at < dir.end; total++) {
    if (total >= maxEntries) throw invalid(`more than ${maxEntries} entries`);
    if (at + CENTRAL_SIZE > dir.end || u32(buf, at) !== CENTRAL)
      throw invalid(`damaged central directory at entry ${total}`);
    const flags = u16(buf, at + 8);
    const nameLength = u16(buf, at + 28);
    const extraLength = u16(buf, at + 30);
    const commentLength = u16(buf, at + 32);
    const nameStart = at + CENTRAL_SIZE;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > dir.end) throw invalid(`central directory entry ${total} runs past the directory`);
    // Names are CP437 unless flagged UTF-8; every name this reader looks for is ASCII, where both agree.
    const name = buf.toString((flags & FLAG_UTF8) !== 0 ? 'utf8' : 'latin1', nameStart, extraStart);
    if (select(name)) {
      const fields = {
        size: u32(buf, at + 24),
        compressedSize: u32(buf, at + 20),
        localOffset: u32(buf, at + 42),
      };
      applyZip64(buf, extraStart, extraStart + extraLength, fields);
      entries.push({ name, method: u16(buf, at + 10), flags, ...fields });
    }
    at = next;
  }
  return { entries, total, prefix };
}

/**
 * The uncompressed bytes of one entry, at most `maxBytes` of them (stored entries are a view
 * into `buf`, not a copy).
 * @throws CoreError ARCHIVE_INVALID for a damaged local header, data outside the buffer, encryption, an
 *   unsupported method, a declared size over `maxBytes`, or data that inflates to more than
 *   declared or fails to inflate.
 */
export function readZipEntry(buf: Buffer, dir: ZipDirectory, entry: ZipEntry, maxBytes: number): Buffer {
  if ((entry.flags & FLAG_ENCRYPTED) !== 0) throw invalid(`${entry.name} is encrypted`);
  if (entry.size > maxBytes)
    throw invalid(`${entry.name} declares ${entry.size} bytes, over the limit of ${maxBytes}`);
  const local = dir.prefix + entry.localOffset;
  if (local + LOCAL_SIZE > buf.length || u32(buf, local) !== LOCAL)
    throw invalid(`${entry.name}: no local header where the directory says`);
  // The local header's own name and extra lengths may differ from the directory's (4.3.7).
  const start = local + LOCAL_SIZE + u16(buf, local + 26) + u16(buf, local + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw invalid(`${entry.name}: data runs past the end of the archive`);
  const data = buf.subarray(start, end);
  switch (entry.method) {
    case STORED:
      if (entry.compressedSize !== entry.size)
        throw invalid(`${entry.name}: stored entry with differing sizes`);
      return data;
    case DEFLATED:
      if (entry.size === 0) return Buffer.alloc(0);
      try {
        // The declared size bounds the output: a bomb that lies about its size stops there.
        return inflateRawSync(data, { maxOutputLength: entry.size });
      } catch (err) {
        throw invalid(
          `${entry.name}: cannot inflate within its declared ${entry.size} bytes: ${errorMessage(err)}`,
        );
      }
    default:
      throw invalid(`${entry.name}: unsupported compression method ${entry.method}`);
  }
}
