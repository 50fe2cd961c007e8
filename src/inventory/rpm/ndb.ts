// rpm's own "ndb" package database, `Packages.db` (SUSE's default since SLES 15 SP3 / openSUSE
// 2021). Layout from rpm's lib/backend/ndb/rpmpkg.c; every integer is little-endian:
//
// - Header, bytes 0..31: magic "RpmP", version 0, generation, slotnpages (pages of 4096 bytes
//   that hold the slot table), next package index.
// - Slot table: 16-byte slots from byte 32 to slotnpages × 4096, each magic "Slot", pkgidx,
//   blkoff, blkcnt. blkoff 0 marks a free slot. Offsets and counts are in 16-byte blocks.
// - Blob at blkoff × 16: head (magic "BlbS", pkgidx, timestamp, bloblen), the header blob,
//   zero padding to the block size, tail (adler32 of everything before it, bloblen, "BlbE");
//   blkcnt = ceil((16 + bloblen + 12) / 16).
import { RpmError } from './errors.js';
import { byInstance, type RpmDbContents, type RpmDbRecord } from './records.js';

/** Little-endian "RpmP", "Slot", "BlbS", "BlbE". */
const PKGDB_MAGIC = 0x506d7052;
const SLOT_MAGIC = 0x746f6c53;
const BLOBHEAD_MAGIC = 0x53626c42;
const BLOBTAIL_MAGIC = 0x45626c42;
const PKGDB_VERSION = 0;
const HEADER_BYTES = 32;
const PAGE_BYTES = 4096;
const SLOT_BYTES = 16;
const BLOCK_BYTES = 16;
const BLOBHEAD_BYTES = 16;
const BLOBTAIL_BYTES = 12;

function invalid(message: string): never {
  throw new RpmError('RPM_DB_INVALID', `ndb: ${message}`);
}

/** Adler-32 (RFC 1950 §8.2), the checksum in each blob's tail. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  // Reducing every 5552 bytes (zlib's NMAX for 32-bit sums) keeps both sums exact integers.
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i] ?? 0;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

type Slot = {
  readonly slot: number;
  readonly pkgidx: number;
  readonly blkoff: number;
  readonly blkcnt: number;
};

/** Reads and checks one blob; returns the header bytes or throws a plain Error naming the fault. */
function readBlob(file: Buffer, s: Slot): Buffer {
  const start = s.blkoff * BLOCK_BYTES;
  const end = (s.blkoff + s.blkcnt) * BLOCK_BYTES;
  if (end > file.length)
    throw new Error(`blocks ${s.blkoff}+${s.blkcnt} run past the end of the file (truncated?)`);
  if (s.blkcnt * BLOCK_BYTES < BLOBHEAD_BYTES + BLOBTAIL_BYTES)
    throw new Error(`${s.blkcnt} blocks cannot hold a blob`);
  const area = file.subarray(start, end);
  if (area.readUInt32LE(0) !== BLOBHEAD_MAGIC) throw new Error('no blob head magic "BlbS"');
  const pkgidx = area.readUInt32LE(4);
  if (pkgidx !== s.pkgidx) throw new Error(`blob belongs to package ${pkgidx}, not ${s.pkgidx}`);
  const bloblen = area.readUInt32LE(12);
  const needed = Math.ceil((BLOBHEAD_BYTES + bloblen + BLOBTAIL_BYTES) / BLOCK_BYTES);
  if (needed !== s.blkcnt)
    throw new Error(`blob length ${bloblen} needs ${needed} blocks, the slot has ${s.blkcnt}`);
  const tail = area.subarray(area.length - BLOBTAIL_BYTES);
  if (tail.readUInt32LE(8) !== BLOBTAIL_MAGIC) throw new Error('no blob tail magic "BlbE"');
  if (tail.readUInt32LE(4) !== bloblen)
    throw new Error(`tail length ${tail.readUInt32LE(4)} differs from head length ${bloblen}`);
  const sum = adler32(area.subarray(0, area.length - BLOBTAIL_BYTES));
  if (tail.readUInt32LE(0) !== sum) throw new Error('adler32 checksum mismatch (corrupt blob)');
  return area.subarray(BLOBHEAD_BYTES, BLOBHEAD_BYTES + bloblen);
}

/**
 * Reads the header records of an ndb `Packages.db`. Slots and blobs that fail their checks
 * (bounds, magics, lengths, adler32) are skipped and named in `problems`.
 *
 * @throws RpmError RPM_DB_UNSUPPORTED for another ndb version; RPM_DB_INVALID when the file is
 *   not an ndb database or its slot table is corrupt or truncated.
 */
export function readNdbPackages(file: Buffer): RpmDbContents {
  if (file.length < HEADER_BYTES) invalid(`${file.length} bytes is shorter than the 32-byte header`);
  if (file.readUInt32LE(0) !== PKGDB_MAGIC) invalid('no "RpmP" magic at byte 0: not an ndb Packages.db');
  const version = file.readUInt32LE(4);
  if (version !== PKGDB_VERSION) {
    throw new RpmError('RPM_DB_UNSUPPORTED', `ndb: version ${version} (read: ${PKGDB_VERSION})`);
  }
  const slotPages = file.readUInt32LE(12);
  if (slotPages < 1 || slotPages * PAGE_BYTES > file.length) {
    invalid(`${slotPages} slot pages do not fit the ${file.length}-byte file (truncated?)`);
  }
  // Blobs start after the slot pages; rpm refuses slots pointing into them.
  const firstBlock = (slotPages * PAGE_BYTES) / BLOCK_BYTES;
  const slots: Slot[] = [];
  const problems: string[] = [];
  for (let at = HEADER_BYTES; at < slotPages * PAGE_BYTES; at += SLOT_BYTES) {
    const slot = at / SLOT_BYTES;
    if (file.readUInt32LE(at) !== SLOT_MAGIC) invalid(`slot ${slot} has no "Slot" magic: corrupt slot table`);
    const blkoff = file.readUInt32LE(at + 8);
    if (blkoff === 0) continue;
    const s = { slot, pkgidx: file.readUInt32LE(at + 4), blkoff, blkcnt: file.readUInt32LE(at + 12) };
    if (s.pkgidx === 0 || s.blkcnt === 0 || s.blkoff < firstBlock) {
      problems.push(
        `slot ${slot}: package ${s.pkgidx} at block ${s.blkoff}+${s.blkcnt} is not a valid slot; skipped`,
      );
      continue;
    }
    slots.push(s);
  }
  const records: RpmDbRecord[] = [];
  const seen = new Set<number>();
  for (const s of slots) {
    if (seen.has(s.pkgidx)) {
      problems.push(`slot ${s.slot}: package ${s.pkgidx} has a second slot; skipped`);
      continue;
    }
    seen.add(s.pkgidx);
    try {
      records.push({ instance: s.pkgidx, blob: readBlob(file, s) });
    } catch (err) {
      problems.push(
        `package ${s.pkgidx} (slot ${s.slot}): ${err instanceof Error ? err.message : String(err)}; skipped`,
      );
    }
  }
  return { records: byInstance(records), problems };
}
