// Test helpers for the image source tests (not fixtures; excluded from the build like all testdata).
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export function tempDir(prefix = 'portcullis-src-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export type TarSpec = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
};

/** Writes a tar with exactly the given entries (names are not sanitized: hostile ones are the point). */
export async function writeTar(file: string, entries: readonly TarSpec[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const header = {
      name: e.name,
      type,
      size: type === 'file' ? body.length : 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    if (type === 'file') pack.entry(header, body);
    else pack.entry(header);
  }
  pack.finalize();
  await done;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every file and directory under `dir`, relative, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const out = await readdir(dir, { recursive: true });
  return out.map(String).sort();
}

/** Runs a command, failing the test with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
