// apk's installed database, lib/apk/db/installed: one block per package, blocks separated by
// blank lines, each line `<letter>:<value>` (apk-tools' "installed database" format, see
// apk-tools src/database.c and the Alpine wiki's Apk_spec). P name, V version, A arch,
// o origin (the APKBUILD the package came from), L license, F a directory, R a file in the
// last F directory.

/** One installed package. */
export type ApkRecord = {
  readonly name: string;
  readonly version: string;
  readonly arch: string | undefined;
  readonly origin: string | undefined;
  /** The L line as written: an SPDX expression on current Alpine, space-separated names on old releases. */
  readonly license: string | undefined;
  /** Owned files (R lines under their F directory), relative to the image root. */
  readonly files: readonly string[];
  /** 1-based line where the block starts. */
  readonly line: number;
};

/** Something that did not parse; `lost` when a package may be missing because of it. */
export type ApkProblem = { readonly message: string; readonly lost: boolean };

export type ApkDatabase = { readonly records: ApkRecord[]; readonly problems: ApkProblem[] };

const LINE = /^([A-Za-z]):(.*)$/;

type Block = {
  line: number;
  name?: string;
  version?: string;
  arch?: string;
  origin?: string;
  license?: string;
  dir: string;
  files: string[];
  bad: string[];
};

/** Parses lib/apk/db/installed. Never throws: blocks without P or V are reported as lost problems. */
export function parseApkInstalled(text: string): ApkDatabase {
  const records: ApkRecord[] = [];
  const problems: ApkProblem[] = [];
  let block: Block | undefined;

  const finish = (): void => {
    if (block === undefined) return;
    const b = block;
    block = undefined;
    const where = `block at line ${b.line}`;
    if (b.name === undefined || b.name === '') {
      problems.push({ message: `${where} has no package name (P:)`, lost: true });
      return;
    }
    for (const message of b.bad) problems.push({ message: `${b.name}: ${message}`, lost: false });
    if (b.version === undefined || b.version === '') {
      problems.push({ message: `${where} (${b.name}) has no version (V:)`, lost: true });
      return;
    }
    records.push({
      name: b.name,
      version: b.version,
      arch: b.arch,
      origin: b.origin,
      license: b.license,
      files: b.files,
      line: b.line,
    });
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') {
      finish();
      continue;
    }
    block ??= { line: i + 1, dir: '', files: [], bad: [] };
    const m = LINE.exec(line) ?? undefined;
    const key = m?.[1];
    if (key === undefined) {
      block.bad.push(`line ${i + 1}: not a "X:value" line`);
      continue;
    }
    const value = m?.[2] ?? '';
    switch (key) {
      case 'P':
        block.name = value;
        break;
      case 'V':
        block.version = value;
        break;
      case 'A':
        block.arch = value;
        break;
      case 'o':
        block.origin = value;
        break;
      case 'L':
        block.license = value;
        break;
      case 'F':
        block.dir = value.replace(/^\/+|\/+$/g, '');
        break;
      case 'R':
        block.files.push(block.dir === '' ? value : `${block.dir}/${value}`);
        break;
      default:
      // Checksums, sizes, dependencies, ACLs…: not needed for the inventory.
    }
  }
  finish();
  return { records, problems };
}
