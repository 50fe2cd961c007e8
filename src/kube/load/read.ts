import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../core/index.js';
import { ManifestError } from './errors.js';
import { MAX_MANIFEST_BYTES, type ManifestInput } from './parse.js';

/** What reading manifests needs from the process: where relative paths start, and stdin. */
export type ManifestReadIO = { readonly cwd: string; readonly stdin: NodeJS.ReadableStream };

/** Caps for {@link readManifestInputs}. */
export type ReadOptions = {
  /** Per file and for stdin (default {@link MAX_MANIFEST_BYTES}). */
  readonly maxBytes?: number;
  /** Most files one directory argument may expand to (default {@link MAX_MANIFEST_FILES}). */
  readonly maxFiles?: number;
};

/** Most files read from directories in one call: a repository's manifests, not a disk. */
export const MAX_MANIFEST_FILES = 10_000;

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

async function readStdin(stdin: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > maxBytes) {
      throw new ManifestError(
        'MANIFESTS_TOO_LARGE',
        `-: stdin is larger than the ${maxBytes}-byte limit for manifests`,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function decode(file: string, data: Buffer): string {
  try {
    // A BOM is dropped: editors on Windows write one, and kubectl accepts it.
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (err) {
    throw new ManifestError('MANIFESTS_INVALID', `${file}: not UTF-8 text`, { cause: err });
  }
}

async function readOneFile(file: string, resolved: string, maxBytes: number): Promise<string> {
  let data: Buffer;
  try {
    const st = await stat(resolved);
    if (!st.isFile()) throw new ManifestError('MANIFESTS_UNREADABLE', `${file}: not a regular file`);
    if (st.size > maxBytes) {
      throw new ManifestError(
        'MANIFESTS_TOO_LARGE',
        `${file}: ${st.size} bytes, larger than the ${maxBytes}-byte limit for manifests`,
      );
    }
    data = await readFile(resolved);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    throw new ManifestError('MANIFESTS_UNREADABLE', `${file}: cannot read: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  // A file that grew between stat and read.
  if (data.length > maxBytes) {
    throw new ManifestError('MANIFESTS_TOO_LARGE', `${file}: larger than the ${maxBytes}-byte limit`);
  }
  return decode(file, data);
}

// Symbolic links to directories are not followed: a link back up the tree would never end,
// and a bundle's manifests live inside it.
async function listManifestFiles(dir: string, shown: string, out: string[], maxFiles: number): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ManifestError('MANIFESTS_UNREADABLE', `${shown}: cannot read directory: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const name = path.join(shown, e.name);
    if (e.isDirectory()) {
      // A repository's history holds old manifests, not what is deployed.
      if (e.name === '.git') continue;
      await listManifestFiles(full, name, out, maxFiles);
    } else if (
      (e.isFile() || (e.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile() === true)) &&
      MANIFEST_EXTENSIONS.has(path.extname(e.name).toLowerCase())
    ) {
      if (out.length >= maxFiles) {
        throw new ManifestError(
          'MANIFESTS_TOO_LARGE',
          `${shown}: more than ${maxFiles} manifest files; name fewer directories`,
        );
      }
      out.push(name);
    }
  }
}

/**
 * The texts of manifest paths as given on a command line: a file, a directory (every
 * `*.yaml`, `*.yml` and `*.json` below it, recursively but not into `.git`, in sorted order,
 * reported under `dir/sub/file.yaml` and marked {@link ManifestInput.found}), or `-` for stdin
 * (once). Relative paths start at `io.cwd`; the
 * names returned are as given, so messages show what the user typed.
 *
 * @throws ManifestError MANIFESTS_UNREADABLE for a missing or unreadable path or `-` given
 *   twice; MANIFESTS_TOO_LARGE over the byte or file cap; MANIFESTS_INVALID for non-UTF-8 text.
 */
export async function readManifestInputs(
  paths: readonly string[],
  io: ManifestReadIO,
  options: ReadOptions = {},
): Promise<ManifestInput[]> {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const maxFiles = options.maxFiles ?? MAX_MANIFEST_FILES;
  if (paths.filter((p) => p === '-').length > 1) {
    throw new ManifestError('MANIFESTS_UNREADABLE', '-: stdin may be given once');
  }
  const out: ManifestInput[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '-', text: decode('-', await readStdin(io.stdin, maxBytes)) });
      continue;
    }
    const resolved = path.resolve(io.cwd, p);
    const st = await stat(resolved).catch((err: unknown) => {
      throw new ManifestError('MANIFESTS_UNREADABLE', `${p}: cannot read: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    if (st.isDirectory()) {
      const files: string[] = [];
      await listManifestFiles(resolved, p, files, maxFiles);
      for (const f of files) {
        out.push({ file: f, text: await readOneFile(f, path.resolve(io.cwd, f), maxBytes), found: true });
      }
    } else {
      out.push({ file: p, text: await readOneFile(p, resolved, maxBytes) });
    }
  }
  return out;
}
