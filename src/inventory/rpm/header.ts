// The rpm header structure as rpm databases store it: the header blob without the 8-byte magic
// that package files put in front of it. Layout (rpm's "RPM file format" and "tags" docs,
// https://rpm-software-management.github.io/rpm/manual/format_v4.html, and lib/header.c):
//
//   il (uint32 BE)  number of index entries
//   dl (uint32 BE)  size of the data store
//   il × { tag, type, offset, count }   (each uint32/int32 BE, 16 bytes)
//   dl bytes of data store
//
// The first entry of an installed header is normally a region tag (HEADERIMMUTABLE): its data
// is a 16-byte trailer whose negative offset says how many index entries the signed, immutable
// region covers. Entries after the region ("dribbles") were added by rpm at install time and
// replace region entries with the same tag. Every count and offset below is checked against the
// blob before anything is read or allocated, with rpm's own sanity limits.
import { RpmError } from './errors.js';

/** The rpm tags this reader uses, by their numbers in rpmtag.h. */
export const RpmTag = {
  HEADERIMAGE: 61,
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  HEADERI18NTABLE: 100,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILEMODES: 1030,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

const TAG_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RpmTag).map(([k, v]) => [v, k]));

/** Data types of index entries (rpmtag.h rpmTagType), indexed by their number. */
const TYPE_NAMES = [
  'NULL',
  'CHAR',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'STRING',
  'BIN',
  'STRING_ARRAY',
  'I18NSTRING',
] as const;
const TYPE_CHAR = 1;
const TYPE_INT8 = 2;
const TYPE_INT16 = 3;
const TYPE_INT32 = 4;
const TYPE_INT64 = 5;
const TYPE_STRING = 6;
const TYPE_BIN = 7;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

/** Byte size of one element of the fixed-size types; also their required alignment. */
const FIXED_SIZES: Readonly<Record<number, number>> = {
  [TYPE_CHAR]: 1,
  [TYPE_INT8]: 1,
  [TYPE_INT16]: 2,
  [TYPE_INT32]: 4,
  [TYPE_INT64]: 8,
  [TYPE_BIN]: 1,
};

const INTRO_BYTES = 8;
const ENTRY_BYTES = 16;
/** rpm's HEADER_TAGS_MAX: at most 65535 index entries. */
const MAX_ENTRIES = 0xffff;
/** rpm's HEADER_DATA_MAX: a data store below 256 MiB. */
const MAX_DATA_BYTES = 0x0fffffff;
/** rpm's HEADER_ARRAY_MAX: about a million elements per entry (the file-count ceiling). */
const MAX_ARRAY_COUNT = 0xfffff;

type Entry = {
  readonly index: number;
  readonly tag: number;
  readonly type: number;
  readonly offset: number;
  readonly count: number;
  /** Bytes of data this entry occupies (strings with their NUL terminators). */
  readonly length: number;
};

const decoder = new TextDecoder('utf-8', { fatal: false });

function fail(message: string): never {
  throw new RpmError('RPM_HEADER_INVALID', `rpm header: ${message}`);
}

function tagLabel(tag: number): string {
  const name = TAG_NAMES.get(tag);
  return name === undefined ? `tag ${tag}` : `tag ${tag} (${name})`;
}

function typeLabel(type: number): string {
  return TYPE_NAMES[type] ?? `unknown type ${type}`;
}

/** A parsed, validated rpm header: typed access to its tags. */
export class RpmHeader {
  readonly #data: Buffer;
  readonly #entries: ReadonlyMap<number, Entry>;

  /** @internal Use parseRpmHeader. */
  constructor(data: Buffer, entries: ReadonlyMap<number, Entry>) {
    this.#data = data;
    this.#entries = entries;
  }

  /** The tags present, in ascending order. */
  tags(): number[] {
    return [...this.#entries.keys()].sort((a, b) => a - b);
  }

  /** True when the header holds `tag` (after install-time entries replaced region ones). */
  has(tag: number): boolean {
    return this.#entries.has(tag);
  }

  /**
   * A string tag's value (the first element of a string array or i18n string), or undefined
   * when absent.
   *
   * @throws RpmError RPM_HEADER_INVALID when the tag holds a non-string type.
   */
  string(tag: number): string | undefined {
    return this.strings(tag)?.[0];
  }

  /**
   * A string array tag's values (a plain string tag gives one element), or undefined when absent.
   *
   * @throws RpmError RPM_HEADER_INVALID when the tag holds a non-string type.
   */
  strings(tag: number): string[] | undefined {
    const e = this.#entries.get(tag);
    if (e === undefined) return undefined;
    if (e.type !== TYPE_STRING && e.type !== TYPE_STRING_ARRAY && e.type !== TYPE_I18NSTRING) {
      fail(`${tagLabel(tag)} has type ${typeLabel(e.type)}, expected a string`);
    }
    const out: string[] = [];
    let pos = e.offset;
    for (let i = 0; i < e.count; i++) {
      // Terminators were found when the entry was validated, so indexOf cannot miss here.
      const nul = this.#data.indexOf(0, pos);
      out.push(decoder.decode(this.#data.subarray(pos, nul)));
      pos = nul + 1;
    }
    return out;
  }

  /**
   * An INT16 tag's values (unsigned), or undefined when absent.
   *
   * @throws RpmError RPM_HEADER_INVALID when the tag holds another type.
   */
  int16s(tag: number): number[] | undefined {
    const e = this.#entries.get(tag);
    if (e === undefined) return undefined;
    if (e.type !== TYPE_INT16) fail(`${tagLabel(tag)} has type ${typeLabel(e.type)}, expected INT16`);
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) out.push(this.#data.readUInt16BE(e.offset + 2 * i));
    return out;
  }

  /**
   * An INT32 tag's values (unsigned), or undefined when absent.
   *
   * @throws RpmError RPM_HEADER_INVALID when the tag holds another type.
   */
  int32s(tag: number): number[] | undefined {
    const e = this.#entries.get(tag);
    if (e === undefined) return undefined;
    if (e.type !== TYPE_INT32) fail(`${tagLabel(tag)} has type ${typeLabel(e.type)}, expected INT32`);
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) out.push(this.#data.readUInt32BE(e.offset + 4 * i));
    return out;
  }
}

/** Reads one index entry's four fields (offset is signed: region trailers store a negative one). */
function readEntry(buf: Buffer, at: number, index: number): Omit<Entry, 'length'> {
  return {
    index,
    tag: buf.readUInt32BE(at),
    type: buf.readUInt32BE(at + 4),
    offset: buf.readInt32BE(at + 8),
    count: buf.readUInt32BE(at + 12),
  };
}

/**
 * Bytes an entry's data occupies in the data store, checking that it fits: fixed-size types are
 * count × size; string types run to their count-th NUL, which must lie inside the store.
 */
function dataLength(e: Omit<Entry, 'length'>, data: Buffer): number {
  const where = `entry ${e.index} (${tagLabel(e.tag)}, ${typeLabel(e.type)}, offset ${e.offset}, count ${e.count})`;
  if (e.type === TYPE_STRING || e.type === TYPE_STRING_ARRAY || e.type === TYPE_I18NSTRING) {
    if (e.type === TYPE_STRING && e.count !== 1) fail(`${where}: a STRING entry must have count 1`);
    let pos = e.offset;
    for (let i = 0; i < e.count; i++) {
      const nul = data.indexOf(0, pos);
      if (nul < 0)
        fail(
          `${where}: string ${i + 1} of ${e.count} is not terminated inside the ${data.length}-byte data store`,
        );
      pos = nul + 1;
    }
    return pos - e.offset;
  }
  const size = FIXED_SIZES[e.type];
  if (size === undefined) fail(`${where}: unknown data type`);
  const length = size * e.count;
  if (e.offset + length > data.length) {
    fail(`${where}: ${length} bytes of data run past the ${data.length}-byte data store`);
  }
  return length;
}

/** Checks the region entry and its trailer; returns how many index entries and data bytes it covers. */
function readRegion(first: Omit<Entry, 'length'>, il: number, data: Buffer): { ril: number; rdl: number } {
  const where = `region ${tagLabel(first.tag)}`;
  if (first.type !== TYPE_BIN || first.count !== ENTRY_BYTES) {
    fail(`${where}: type ${typeLabel(first.type)} count ${first.count}, expected BIN count 16`);
  }
  if (first.offset < 0 || first.offset + ENTRY_BYTES > data.length) {
    fail(`${where}: trailer offset ${first.offset} is outside the ${data.length}-byte data store`);
  }
  const trailer = readEntry(data, first.offset, 0);
  // The trailer repeats the region tag; its negative offset is the region's index size in bytes.
  if (trailer.tag !== first.tag || trailer.type !== TYPE_BIN || trailer.count !== ENTRY_BYTES) {
    fail(`${where}: bad trailer (tag ${trailer.tag}, type ${trailer.type}, count ${trailer.count})`);
  }
  const regionBytes = -trailer.offset;
  const ril = regionBytes / ENTRY_BYTES;
  if (!Number.isInteger(ril) || ril < 1 || ril > il) {
    fail(`${where}: trailer covers ${regionBytes} index bytes, not 1..${il} whole entries`);
  }
  return { ril, rdl: first.offset + ENTRY_BYTES };
}

function isRegionTag(tag: number): boolean {
  return tag === RpmTag.HEADERIMAGE || tag === RpmTag.HEADERSIGNATURES || tag === RpmTag.HEADERIMMUTABLE;
}

/**
 * Parses an rpm header blob as rpm databases store it (no leading magic), validating the index
 * against the blob as rpm does: sizes, types, counts, alignment, offsets inside the data store,
 * NUL-terminated strings, entries that do not overlap, and a well-formed region trailer.
 *
 * @throws RpmError RPM_HEADER_INVALID naming the first violation (a truncated blob, an index
 *   count beyond the data, an offset out of range…).
 */
export function parseRpmHeader(blob: Buffer): RpmHeader {
  if (blob.length < INTRO_BYTES) fail(`blob of ${blob.length} bytes is shorter than the 8-byte header intro`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_ENTRIES) fail(`index entry count ${il} is outside 1..${MAX_ENTRIES}`);
  if (dl > MAX_DATA_BYTES) fail(`data store size ${dl} exceeds rpm's limit of ${MAX_DATA_BYTES} bytes`);
  const dataStart = INTRO_BYTES + il * ENTRY_BYTES;
  const size = dataStart + dl;
  if (blob.length < size) {
    fail(
      `truncated: ${il} index entries and ${dl} data bytes need ${size} bytes, the blob has ${blob.length}`,
    );
  }
  if (blob.length > size) {
    fail(`${blob.length - size} unexpected bytes after the declared end (${il} entries, ${dl} data bytes)`);
  }
  const data = blob.subarray(dataStart, size);
  const raw: Omit<Entry, 'length'>[] = [];
  for (let i = 0; i < il; i++) raw.push(readEntry(blob, INTRO_BYTES + i * ENTRY_BYTES, i));

  const first = raw[0];
  if (first === undefined) fail('no index entries');
  const region = isRegionTag(first.tag) ? readRegion(first, il, data) : undefined;
  const entries = new Map<number, Entry>();
  let end = 0;
  for (const r of raw.slice(region === undefined ? 0 : 1)) {
    const where = `entry ${r.index} (${tagLabel(r.tag)}, ${typeLabel(r.type)}, offset ${r.offset}, count ${r.count})`;
    // Tags below HEADERI18NTABLE are reserved for regions; one here means a second region or garbage.
    if (r.tag < RpmTag.HEADERI18NTABLE)
      fail(`${where}: tag below ${RpmTag.HEADERI18NTABLE} outside the region slot`);
    if (r.type < TYPE_CHAR || r.type > TYPE_I18NSTRING) fail(`${where}: unknown data type`);
    if (r.count < 1 || r.count > dl) fail(`${where}: count outside 1..${dl}`);
    if (r.type !== TYPE_BIN && r.count > MAX_ARRAY_COUNT)
      fail(`${where}: count exceeds rpm's ${MAX_ARRAY_COUNT}`);
    if (r.offset < 0 || r.offset > dl) fail(`${where}: offset outside the ${dl}-byte data store`);
    const align = FIXED_SIZES[r.type] ?? 1;
    if (r.offset % align !== 0) fail(`${where}: offset not aligned to ${align} bytes`);
    // rpm lays entries' data out in index order; overlapping data is a forged or corrupt header.
    if (r.offset < end) fail(`${where}: data overlaps the previous entry's (which ends at ${end})`);
    const length = dataLength(r, data);
    end = r.offset + length;
    if (region !== undefined && end > region.rdl - ENTRY_BYTES && r.offset < region.rdl) {
      fail(`${where}: data overlaps the region trailer at ${region.rdl - ENTRY_BYTES}`);
    }
    const entry: Entry = { ...r, length };
    if (region !== undefined && r.index >= region.ril) {
      // A dribble replaces the region's entry for its tag; new-style file names replace old ones.
      entries.set(r.tag, entry);
      if (r.tag === RpmTag.BASENAMES) entries.delete(RpmTag.OLDFILENAMES);
    } else if (!entries.has(r.tag)) {
      entries.set(r.tag, entry);
    }
  }
  return new RpmHeader(data, entries);
}
