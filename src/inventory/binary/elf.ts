// A minimal ELF reader for untrusted binaries: the file header, section headers (with names)
// and program headers, for 32- and 64-bit files of either byte order. Field offsets follow the
// System V ABI, "Object Files" chapter (ELF header, Sections, Program Header). Nothing is
// trusted: every offset and count is checked against the buffer, and a malformed table reads
// as empty rather than failing, since the callers can often still scan the segments.
import { FormatError } from './format-error.js';

/** One section header, with its name resolved through the section-name string table. */
export type ElfSection = {
  readonly name: string;
  readonly type: number;
  /** File offset and size of its bytes, already checked to lie inside the file (0/0 for SHT_NOBITS). */
  readonly offset: number;
  readonly size: number;
};

/** One program header (segment). */
export type ElfSegment = {
  readonly type: number;
  readonly flags: number;
  /** File offset and size of its bytes, clamped to the file. */
  readonly offset: number;
  readonly size: number;
};

export type ElfFile = {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
};

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
const SHT_NOBITS = 8;
// Section index escapes (gABI "Sections"): SHN_UNDEF means "none"; SHN_XINDEX says the real
// value is stored in section 0.
const SHN_XINDEX = 0xffff;
// Real binaries have a few dozen sections and segments; a table claiming more is hostile or
// corrupt, and reading it only costs time.
const MAX_TABLE_ENTRIES = 4096;
const MAX_NAME = 256;

/** True when the buffer starts with the ELF magic `\x7fELF`. */
export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

/** Field reader bound to one file's class and byte order; every read is bounds-checked. */
class Reader {
  readonly buf: Buffer;
  readonly bits: 32 | 64;
  readonly le: boolean;

  constructor(buf: Buffer, bits: 32 | 64, le: boolean) {
    this.buf = buf;
    this.bits = bits;
    this.le = le;
  }

  private check(at: number, n: number): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + n > this.buf.length)
      throw new FormatError(`ELF field at ${at} is outside the file (${this.buf.length} bytes)`);
  }

  u16(at: number): number {
    this.check(at, 2);
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  u32(at: number): number {
    this.check(at, 4);
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  /** A 64-bit field as a number; values beyond 2^53 cannot be file offsets of a buffer anyway. */
  u64(at: number): number {
    this.check(at, 8);
    const v = this.le ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  /** An address-sized field: 4 bytes in ELFCLASS32, 8 in ELFCLASS64. */
  word(at: number): number {
    return this.bits === 64 ? this.u64(at) : this.u32(at);
  }
}

/** A table of `count` entries of `entsize` bytes at `offset`, or none if it does not fit. */
function tableFits(buf: Buffer, offset: number, entsize: number, count: number, minEntsize: number): boolean {
  return (
    offset > 0 &&
    count > 0 &&
    count <= MAX_TABLE_ENTRIES &&
    entsize >= minEntsize &&
    offset + entsize * count <= buf.length
  );
}

/** Clamps a (offset, size) range to the file; an offset past the end gives an empty range. */
function clamp(buf: Buffer, offset: number, size: number): { offset: number; size: number } {
  if (offset >= buf.length) return { offset: 0, size: 0 };
  return { offset, size: Math.min(size, buf.length - offset) };
}

function readName(buf: Buffer, table: ElfSection | undefined, at: number): string {
  if (table === undefined || at >= table.size) return '';
  const start = table.offset + at;
  const limit = Math.min(table.offset + table.size, start + MAX_NAME);
  const end = buf.indexOf(0, start);
  return buf.toString('latin1', start, end < 0 || end > limit ? limit : end);
}

/**
 * Parses the headers of an ELF file. Undefined when the buffer is not ELF at all.
 * @throws FormatError when the identification bytes or the file header are invalid.
 */
export function parseElf(buf: Buffer): ElfFile | undefined {
  if (!isElf(buf)) return undefined;
  if (buf.length < 52) throw new FormatError('ELF file shorter than its header');
  const cls = buf[4];
  const data = buf[5];
  if (cls !== 1 && cls !== 2) throw new FormatError(`ELF class ${cls ?? '?'} is neither 32- nor 64-bit`);
  if (data !== 1 && data !== 2)
    throw new FormatError(`ELF data encoding ${data ?? '?'} is neither LSB nor MSB`);
  const bits = cls === 2 ? 64 : 32;
  const r = new Reader(buf, bits, data === 1);
  // ELF header layout: the fields after e_entry shift by the address size.
  const phoff = bits === 64 ? r.u64(0x20) : r.u32(0x1c);
  const shoff = bits === 64 ? r.u64(0x28) : r.u32(0x20);
  const h = bits === 64 ? 0x36 : 0x2a;
  const phentsize = r.u16(h);
  let phnum = r.u16(h + 2);
  const shentsize = r.u16(h + 4);
  let shnum = r.u16(h + 6);
  let shstrndx = r.u16(h + 8);
  const shMin = bits === 64 ? 64 : 40;
  const phMin = bits === 64 ? 56 : 32;

  // Extended numbering (gABI "Sections", "Program Header"): counts too large for 16 bits live
  // in section 0's sh_size (sections), sh_info (segments) and sh_link (string table index).
  if (shoff > 0 && shoff + shMin <= buf.length && shentsize >= shMin) {
    if (shnum === 0) shnum = r.word(shoff + (bits === 64 ? 0x20 : 0x14));
    if (phnum === 0xffff) phnum = r.u32(shoff + (bits === 64 ? 0x2c : 0x1c));
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + (bits === 64 ? 0x28 : 0x18));
  }

  const raw: { nameAt: number; type: number; offset: number; size: number }[] = [];
  if (tableFits(buf, shoff, shentsize, shnum, shMin)) {
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      const type = r.u32(at + 4);
      const offset = bits === 64 ? r.u64(at + 0x18) : r.u32(at + 0x10);
      const size = bits === 64 ? r.u64(at + 0x20) : r.u32(at + 0x14);
      // A section claiming bytes beyond the file is corrupt; it is kept with no bytes.
      const inside = type !== SHT_NOBITS && offset <= buf.length && size <= buf.length - offset;
      raw.push({ nameAt: r.u32(at), type, offset: inside ? offset : 0, size: inside ? size : 0 });
    }
  }
  const strtab = raw[shstrndx];
  const names = strtab === undefined ? undefined : { ...strtab, name: '' };
  const sections = raw.map((s) => ({
    name: readName(buf, names, s.nameAt),
    type: s.type,
    offset: s.offset,
    size: s.size,
  }));

  const segments: ElfSegment[] = [];
  if (tableFits(buf, phoff, phentsize, phnum, phMin)) {
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      // Program header layout differs by class: p_flags is second in ELF64, seventh in ELF32.
      const type = r.u32(at);
      const flags = bits === 64 ? r.u32(at + 4) : r.u32(at + 0x18);
      const offset = bits === 64 ? r.u64(at + 8) : r.u32(at + 4);
      const filesz = bits === 64 ? r.u64(at + 0x20) : r.u32(at + 0x10);
      segments.push({ type, flags, ...clamp(buf, offset, filesz) });
    }
  }
  return { bits, littleEndian: data === 1, sections, segments };
}

/** The bytes of the first section called `name`, or undefined (absent or without file bytes). */
export function sectionBytes(buf: Buffer, elf: ElfFile, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (s === undefined || s.size === 0) return undefined;
  return buf.subarray(s.offset, s.offset + s.size);
}
