import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  errorMessage,
  imagePathDir,
  isPortcullisError,
  normalizeImagePath,
  truncateForMessage,
} from '../../core/index.js';
import { OciError } from '../errors.js';

// A header-only tar indexer. An image archive is read by seeking to the few entries we need
// (index.json, manifest.json, blobs), so we note where each entry's data lives and never read it
// while indexing. Formats: POSIX ustar (with the 155-byte prefix), pax extended headers (`path`,
// `linkpath`, `size`), GNU long names/links (`L`/`K`) and GNU base-256 sizes.
// Reference: POSIX.1-2017 pax "ustar Interchange Format" and "pax Extended Header".

const BLOCK = 512;
// Extended header payloads are names and a few numbers; anything bigger is not a real archive.
const MAX_EXTENDED_HEADER = 1024 * 1024;

/** What a tar member is; devices, fifos and the like are 'other' and never read. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One archive member: where its data starts in the archive file and how long it is. */
export type TarEntry = {
  /** Normalized path inside the archive (no leading "/" or "./"). */
  readonly name: string;
  readonly type: TarEntryType;
  /** Byte offset of the entry's data in the archive file. */
  readonly offset: number;
  readonly size: number;
  /** Target of a symlink or hard link, as recorded. */
  readonly linkname: string | undefined;
};

/** Options for indexTar. */
export type TarIndexOptions = {
  /** Most entries accepted before the archive is refused. */
  readonly maxEntries?: number;
  /** How messages name the archive (the user's file, when `file` is a decompressed copy). */
  readonly label?: string;
};

/** Offsets of every member of a tar file; later duplicates replace earlier ones, as on extraction. */
export class TarIndex {
  /** The tar file read from. */
  readonly file: string;
  /** How messages name it. */
  readonly label: string;
  private readonly entries: Map<string, TarEntry>;

  constructor(file: string, entries: Map<string, TarEntry>, label = file) {
    this.file = file;
    this.label = label;
    this.entries = entries;
  }

  /** Every entry name, in archive order of first appearance. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry recorded under `name` (normalized), without following links. */
  get(name: string): TarEntry | undefined {
    return this.entries.get(normalizeEntryName(name, this.label));
  }

  /**
   * The regular file `name` refers to, following symlinks and hard links inside the archive;
   * undefined when nothing is there.
   *
   * @throws OciError ARCHIVE_INVALID for links that leave the archive root or loop.
   */
  resolve(name: string, maxHops = 40): TarEntry | undefined {
    let current = normalizeEntryName(name, this.label);
    for (let hop = 0; hop <= maxHops; hop++) {
      const entry = this.entries.get(current);
      if (entry === undefined) return undefined;
      if (entry.type === 'file') return entry;
      if (entry.type !== 'symlink' && entry.type !== 'hardlink') return undefined;
      const link = entry.linkname ?? '';
      // Hard links name another member; symlinks are relative to their own directory.
      const target =
        entry.type === 'hardlink' || link.startsWith('/') ? link : `${imagePathDir(entry.name)}/${link}`;
      current = normalizeEntryName(target, this.label, `link ${entry.name} -> ${link}`);
    }
    throw new OciError(
      'ARCHIVE_INVALID',
      `archive ${this.label}: too many links followed from "${truncateForMessage(name)}"`,
    );
  }

  /** Streams a regular file entry's bytes straight from the archive file. */
  openEntry(entry: TarEntry): Readable {
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: entry.offset, end: entry.offset + entry.size - 1 });
  }

  /**
   * Reads a regular file entry into memory.
   * @throws OciError LIMIT_EXCEEDED when it is larger than `maxBytes`, ARCHIVE_INVALID when the read comes up short.
   */
  async readEntry(entry: TarEntry, maxBytes: number): Promise<Buffer> {
    if (entry.size > maxBytes) {
      throw new OciError(
        'LIMIT_EXCEEDED',
        `archive ${this.label}: ${entry.name} is ${entry.size} bytes, over the ${maxBytes}-byte limit for it`,
      );
    }
    return this.readHead(entry, entry.size);
  }

  /** Reads the first `length` bytes of an entry (all of it when shorter), e.g. to sniff its format. */
  async readHead(entry: TarEntry, length: number): Promise<Buffer> {
    const want = Math.min(length, entry.size);
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, entry.offset);
      if (bytesRead !== want) {
        throw new OciError('ARCHIVE_INVALID', `archive ${this.label} is truncated: ${entry.name} ends early`);
      }
      return buf;
    } finally {
      await fh.close();
    }
  }
}

function normalizeEntryName(
  name: string,
  file: string,
  what = `entry "${truncateForMessage(name)}"`,
): string {
  try {
    return normalizeImagePath(name, { strict: true });
  } catch (err) {
    if (isPortcullisError(err)) {
      throw new OciError('ARCHIVE_INVALID', `archive ${file}: ${what} is refused: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Indexes a tar file by reading its headers only.
 *
 * @throws OciError ARCHIVE_INVALID when the file is not a tar, is truncated, or has an entry
 *   whose path escapes the archive root; LIMIT_EXCEEDED beyond `maxEntries`; SOURCE_INVALID when
 *   it cannot be read.
 */
export async function indexTar(file: string, options?: TarIndexOptions): Promise<TarIndex> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new OciError(
      'SOURCE_INVALID',
      `cannot open archive ${options?.label ?? file}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  try {
    const label = options?.label ?? file;
    const { size: fileSize } = await fh.stat();
    const entries = await readHeaders(fh, label, fileSize, options?.maxEntries ?? Number.MAX_SAFE_INTEGER);
    return new TarIndex(file, entries, label);
  } finally {
    await fh.close();
  }
}

type Pending = { path?: string; linkpath?: string; size?: number };

async function readHeaders(
  fh: FileHandle,
  file: string,
  fileSize: number,
  maxEntries: number,
): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const header = Buffer.alloc(BLOCK);
  let pos = 0;
  let pending: Pending = {};
  let headers = 0;
  for (;;) {
    const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
    if (bytesRead === 0) {
      // Some writers omit the end-of-archive blocks; a clean end at a header boundary is accepted.
      if (headers === 0) throw notTar(file, 'it is empty');
      break;
    }
    if (bytesRead < BLOCK) {
      const looksTar = header.subarray(257, 262).toString('latin1') === 'ustar';
      throw headers === 0 && !looksTar
        ? notTar(file, `it is ${bytesRead} bytes long, shorter than one tar header`)
        : truncated(file, pos);
    }
    if (isZeroBlock(header)) {
      if (headers === 0) throw notTar(file, 'it holds no entries');
      break;
    }
    if (!checksumOk(header)) {
      throw headers === 0
        ? notTar(file, 'the first block is not a tar header')
        : new OciError('ARCHIVE_INVALID', `archive ${file} has a corrupt tar header at byte ${pos}`);
    }
    headers++;
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const isMeta = typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K';
    const ownSize = parseNumber(header.subarray(124, 136), file, pos);
    // A pax `size` overrides the header's only for the entry it describes, never for another extended header.
    const size = isMeta ? ownSize : (pending.size ?? ownSize);
    const dataStart = pos + BLOCK;
    const paddedEnd = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (dataStart + size > fileSize) throw truncated(file, pos);

    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
      const payload = await readPayload(fh, file, dataStart, size);
      if (typeflag === 'x') {
        pending = { ...pending, ...parsePax(payload, file, pos) };
      } else {
        const text = cString(payload);
        pending = typeflag === 'L' ? { ...pending, path: text } : { ...pending, linkpath: text };
      }
    } else if (typeflag === 'g') {
      // Global pax headers carry archive-wide defaults (mtime, comments); none affect where data is.
    } else {
      const rawName = pending.path ?? headerName(header);
      const linkname = pending.linkpath ?? (cString(header.subarray(157, 257)) || undefined);
      pending = {};
      const name = normalizeEntryName(rawName, file);
      if (entries.size >= maxEntries && !entries.has(name)) {
        throw new OciError('LIMIT_EXCEEDED', `archive ${file} has more than ${maxEntries} entries`);
      }
      if (name !== '') {
        entries.delete(name);
        entries.set(name, {
          name,
          type: entryType(typeflag),
          offset: dataStart,
          size: typeflag === '5' || typeflag === '1' || typeflag === '2' ? 0 : size,
          linkname,
        });
      }
    }
    pos = paddedEnd;
  }
  return entries;
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

async function readPayload(fh: FileHandle, file: string, offset: number, size: number): Promise<Buffer> {
  if (size > MAX_EXTENDED_HEADER) {
    throw new OciError(
      'ARCHIVE_INVALID',
      `archive ${file} has an extended header of ${size} bytes at byte ${offset - BLOCK}; that is not a plausible tar`,
    );
  }
  const buf = Buffer.alloc(size);
  const { bytesRead } = await fh.read(buf, 0, size, offset);
  if (bytesRead !== size) throw truncated(file, offset - BLOCK);
  return buf;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  // Only POSIX ustar ("ustar\0") uses the prefix field; old GNU headers ("ustar  \0") keep other data there.
  const isPosixUstar = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  if (!isPosixUstar) return name;
  const prefix = cString(header.subarray(345, 500));
  return prefix === '' ? name : `${prefix}/${name}`;
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul < 0 ? buf.length : nul).toString('utf8');
}

function isZeroBlock(block: Buffer): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

function checksumOk(header: Buffer): boolean {
  const field = header
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (!/^[0-7]{1,8}$/.test(field)) return false;
  const expected = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Historic writers summed signed chars; both are accepted, as GNU tar does.
  return expected === unsigned || expected === signed;
}

function parseNumber(field: Buffer, file: string, pos: number): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian binary after the marker bit, used for sizes of 8 GiB and more.
    let n = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      n = n * 256 + (field[i] ?? 0);
      if (n > Number.MAX_SAFE_INTEGER) break;
    }
    if (n > Number.MAX_SAFE_INTEGER)
      throw new OciError('ARCHIVE_INVALID', `archive ${file}: entry size at byte ${pos} is too large`);
    return n;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new OciError('ARCHIVE_INVALID', `archive ${file}: invalid size field at byte ${pos}`);
  return parseInt(text, 8);
}

/** Parses pax records, `"<len> <key>=<value>\n"`, keeping what locates and names entries. */
function parsePax(payload: Buffer, file: string, pos: number): Pending {
  const out: Pending = {};
  let i = 0;
  while (i < payload.length) {
    const space = payload.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(payload.subarray(i, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= space - i || i + len > payload.length) {
      throw new OciError('ARCHIVE_INVALID', `archive ${file}: malformed pax header at byte ${pos}`);
    }
    const record = payload.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw new OciError(
          'ARCHIVE_INVALID',
          `archive ${file}: invalid pax size "${truncateForMessage(value, 40)}" at byte ${pos}`,
        );
      }
      out.size = Number(value);
    }
    i += len;
  }
  return out;
}

function notTar(file: string, why: string): OciError {
  return new OciError('ARCHIVE_INVALID', `${file} is not a tar archive: ${why}`);
}

function truncated(file: string, pos: number): OciError {
  return new OciError(
    'ARCHIVE_INVALID',
    `archive ${file} is truncated (an entry at byte ${pos} runs past the end of the file)`,
  );
}
