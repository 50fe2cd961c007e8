// Go build information embedded in binaries, as Go's debug/buildinfo reads it and
// runtime/debug.BuildInfo.String writes it (both in the Go source tree, unchanged in form
// since Go 1.18):
//
//   .go.buildinfo (or, without section headers, the start of the writable data segment)
//   0   14 bytes  magic "\xff Go buildinf:"
//   14  1 byte    pointer size (4 or 8)
//   15  1 byte    flags: bit 0 big-endian pointers, bit 1 "strings inline" (Go >= 1.18)
//   16  two pointers to the version and modinfo string headers (before Go 1.18 only)
//   32  Go >= 1.18: uvarint length + bytes of the version, then of the modinfo
//
// The modinfo text is wrapped in 16-byte sentinels (cmd/go's modload.ModInfoProg) and holds
// tab-separated lines: `path`, `mod`, `dep`, `=>` (replaces the line before) and `build`.
import { isElf, parseElf, PF_W, PF_X, PT_LOAD, sectionBytes, type ElfFile } from './elf.js';
import { FormatError } from './format-error.js';

/** A module line of the build info: `mod` or `dep`, with its `=>` replacement if any. */
export type GoModule = {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
  readonly replace?: { readonly path: string; readonly version: string; readonly sum?: string };
};

/** What one binary's build info says. */
export type GoBuildInfo = {
  /** The toolchain that built it, as written: `go1.21.3`, `go1.22.0 X:boringcrypto`, `devel go1.23-…`. */
  readonly goVersion: string;
  /** The main package's import path (`path` line), when present. */
  readonly path: string | undefined;
  readonly main: GoModule | undefined;
  readonly deps: readonly GoModule[];
  /** `build` lines as key → value (`GOOS`, `vcs.revision`, `-trimpath`, …). */
  readonly settings: Readonly<Record<string, string>>;
};

/** The outcome for one file: build info, a Go binary we cannot decode, or a corrupt one. */
export type GoBinarySummary =
  | { readonly kind: 'go'; readonly info: GoBuildInfo }
  | { readonly kind: 'unsupported'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER = 32;
const ALIGN = 16;
// How much of the data segment to search when the section headers are gone. The Go linker puts
// .go.buildinfo first in the data segment; debug/buildinfo reads a similar window.
const SEARCH_WINDOW = 1024 * 1024;
// Generous caps for the two strings: large programs have modinfo of a few hundred KiB.
const MAX_VERSION = 1024;
const MAX_MODINFO = 4 * 1024 * 1024;
const MAX_LINES = 100_000;
const SENTINEL = 16;

/** Where the build-info header sits: the section, else the first 16-aligned magic in a data segment. */
function findBuildInfo(buf: Buffer, elf: ElfFile): Buffer | undefined {
  const section = sectionBytes(buf, elf, '.go.buildinfo');
  if (section !== undefined) return section.subarray(0, MAGIC.length).equals(MAGIC) ? section : undefined;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || (seg.flags & (PF_X | PF_W)) !== PF_W) continue;
    const found = findAligned(buf.subarray(seg.offset, seg.offset + seg.size), SEARCH_WINDOW);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The first magic at a 16-byte boundary within the first `window` bytes of `data`, and what follows. */
function findAligned(data: Buffer, window: number): Buffer | undefined {
  const area = data.subarray(0, window);
  for (let at = area.indexOf(MAGIC); at >= 0; at = area.indexOf(MAGIC, at + 1)) {
    if (at % ALIGN === 0) return data.subarray(at);
  }
  return undefined;
}

/** Reads a uvarint-prefixed string at `at`; returns it and the offset after it. */
function readVarString(data: Buffer, at: number, max: number, what: string): [Buffer, number] {
  let length = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = data[pos++];
    if (byte === undefined) throw new FormatError(`Go build info: ${what} length runs past the data`);
    length += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new FormatError(`Go build info: ${what} length is not a small varint`);
  }
  if (length > max)
    throw new FormatError(`Go build info: ${what} of ${length} bytes is over the ${max}-byte cap`);
  if (pos + length > data.length) throw new FormatError(`Go build info: ${what} runs past the data`);
  return [data.subarray(pos, pos + length), pos + length];
}

/**
 * The module and build lines of a modinfo string, as runtime/debug.ParseBuildInfo reads them.
 * Lines it does not know are skipped (newer toolchains may add some).
 * @throws FormatError for a `=>` line with nothing to replace, or too many lines.
 */
export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: Record<string, string> = {};
  let last: 'main' | 'dep' | undefined;
  const lines = text.split('\n');
  if (lines.length > MAX_LINES) throw new FormatError(`Go modinfo has more than ${MAX_LINES} lines`);
  for (const line of lines) {
    const [key = '', ...rest] = line.split('\t');
    switch (key) {
      case 'path':
        path = rest[0];
        last = undefined;
        break;
      case 'mod':
      case 'dep': {
        const [p = '', version = '', sum] = rest;
        const mod: GoModule =
          sum === undefined || sum === '' ? { path: p, version } : { path: p, version, sum };
        if (key === 'mod') main = mod;
        else deps.push(mod);
        last = key === 'mod' ? 'main' : 'dep';
        break;
      }
      case '=>': {
        const [p = '', version = '', sum] = rest;
        const replace = sum === undefined || sum === '' ? { path: p, version } : { path: p, version, sum };
        if (last === 'main' && main !== undefined) main = { ...main, replace };
        else if (last === 'dep') {
          const dep = deps.pop();
          if (dep !== undefined) deps.push({ ...dep, replace });
        } else throw new FormatError('Go modinfo has a "=>" line that follows no module');
        last = undefined;
        break;
      }
      case 'build': {
        const setting = rest.join('\t');
        const eq = setting.indexOf('=');
        // Keys with spaces or quotes are written quoted (strconv.Quote); they are rare and are
        // kept as written.
        if (eq > 0) settings[setting.slice(0, eq)] = setting.slice(eq + 1);
        break;
      }
      default:
        break;
    }
  }
  return { path, main, deps, settings };
}

/** Decodes the build-info blob that starts with the magic. */
function decode(data: Buffer): GoBinarySummary {
  if (data.length < HEADER) return { kind: 'invalid', reason: 'Go build info header is truncated' };
  const ptrSize = data[14];
  const flags = data[15] ?? 0;
  if ((flags & 2) === 0) {
    // Before Go 1.18 the header holds pointers to string headers in the data segment, which
    // need the segments' virtual addresses to follow; not implemented.
    return { kind: 'unsupported', reason: 'Go < 1.18 binary: not supported' };
  }
  if (ptrSize !== 4 && ptrSize !== 8)
    return { kind: 'invalid', reason: `Go build info pointer size ${ptrSize ?? '?'}` };
  const [version, next] = readVarString(data, HEADER, MAX_VERSION, 'version');
  const [mod] = readVarString(data, next, MAX_MODINFO, 'modinfo');
  // The sentinels are present when the modinfo is non-empty; debug/buildinfo strips them the
  // same way (length and the newline before the trailing one).
  let modinfo = mod;
  if (mod.length >= 2 * SENTINEL + 1 && mod[mod.length - SENTINEL - 1] === 0x0a)
    modinfo = mod.subarray(SENTINEL, mod.length - SENTINEL);
  const goVersion = version.toString('utf8');
  if (goVersion === '') return { kind: 'invalid', reason: 'Go build info has an empty version' };
  return { kind: 'go', info: { goVersion, ...parseModInfo(modinfo.toString('utf8')) } };
}

/**
 * Reads the Go build info of an ELF binary. Undefined when the file is not ELF or carries no
 * Go build info (not a Go program); never throws: corrupt input is an `invalid` summary.
 */
export function readGoBuildInfo(buf: Buffer): GoBinarySummary | undefined {
  if (!isElf(buf)) return undefined;
  let elf: ElfFile | undefined;
  try {
    elf = parseElf(buf);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    // A damaged ELF header hides the segments, not the build info: search the whole file.
    elf = undefined;
  }
  try {
    // Without usable headers the whole file is searched (as `strings` would); with them, only
    // where the Go linker puts the build info, as debug/buildinfo does.
    const data =
      elf === undefined || elf.segments.length === 0 ? findAligned(buf, buf.length) : findBuildInfo(buf, elf);
    return data === undefined ? undefined : decode(data);
  } catch (err) {
    if (err instanceof FormatError) return { kind: 'invalid', reason: err.message };
    throw err;
  }
}
