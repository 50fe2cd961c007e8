import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  digestAlgorithm,
  digestHex,
  errorMessage,
  isPortcullisError,
  VerifyingStream,
  writeStreamAtomic,
  type Digest,
} from '../../core/index.js';
import { RegistryError } from '../errors.js';
import type {
  BlobInfo,
  BlobStore,
  ByteRange,
  PendingUpload,
  StoredBlob,
  UploadStatus,
} from './blob-store.js';

// Session ids are ours (randomUUID); anything else in a URL is refused before it nears a path.
const UPLOAD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Blob file names per algorithm, and the temporary files writeStreamAtomic leaves when killed
// mid-write (`.tmp-<name>-<12 hex>`, beside the blob's final name).
const BLOB_NAME_RE: Readonly<Record<string, RegExp>> = {
  sha256: /^[0-9a-f]{64}$/,
  sha512: /^[0-9a-f]{128}$/,
};
const TEMP_NAME_RE = /^\.tmp-[0-9a-f]{64,128}-[0-9a-f]{12}$/;
// A leftover temporary file's id: its path under blobs/, which deleteUpload checks again.
const TEMP_ID_RE = /^tmp:(sha256|sha512)\/([0-9a-f]{2})\/(\.tmp-[0-9a-f]{64,128}-[0-9a-f]{12})$/;
const SHARD_RE = /^[0-9a-f]{2}$/;

type SessionInfo = { readonly repository: string; readonly startedAt: string };

/** The SHA-256 of a session's first `size` bytes, fed as they were appended. */
type RunningHash = { readonly hash: Hash; size: number };
// Running hashes kept at most (abandoned sessions must not grow the map without bound); a
// session whose hash was dropped is hashed from its file at commit, as after a restart.
const MAX_RUNNING_HASHES = 1024;

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Blobs as files under `<root>/blobs/<alg>/<2 hex>/<hex>`, uploads under
 * `<root>/uploads/<id>/{data,info.json}`. Every blob reaches its final name by rename after
 * fsync and verification, so a reader sees a whole, verified blob or none; two pushes of the
 * same blob each write their own temporary file and the second rename replaces identical
 * content. Sessions live on disk, so they survive a restart: their size is the data file's.
 */
export class FilesystemBlobStore implements BlobStore {
  readonly root: string;
  // Appends and commits of one session run one at a time (a client retrying a PATCH while the
  // first is still being read must not interleave bytes).
  readonly #sessionLocks = new Map<string, Promise<unknown>>();
  // Each session's SHA-256 so far, so that a commit need not read the whole data file again (a
  // second full read and hash of every layer pushed). In memory only: after a restart, a failed
  // append, or for another algorithm, the commit hashes the file as before.
  readonly #runningHashes = new Map<string, RunningHash>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  #blobPath(digest: Digest): string {
    const hex = digestHex(digest);
    return path.join(this.root, 'blobs', digestAlgorithm(digest), hex.slice(0, 2), hex);
  }

  #sessionDir(id: string): string {
    return path.join(this.root, 'uploads', id);
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.#blobPath(digest));
      return { digest, size: s.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw storageError(`cannot read blob ${digest}`, err);
    }
  }

  async open(digest: Digest, range?: ByteRange): Promise<Readable> {
    const info = await this.stat(digest);
    if (info === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not stored`);
    if (range !== undefined && (range.start > range.end || range.end >= info.size)) {
      throw new RegistryError(
        'RANGE_INVALID',
        `range ${range.start}-${range.end} is outside blob ${digest} of ${info.size} bytes`,
      );
    }
    // Open before returning, so a blob deleted in between is reported here and not mid-stream.
    const fh = await open(this.#blobPath(digest), 'r');
    return fh.createReadStream(range === undefined ? {} : { start: range.start, end: range.end });
  }

  async put(digest: Digest, source: Readable, expectedSize?: number): Promise<BlobInfo> {
    const target = this.#blobPath(digest);
    try {
      await writeStreamAtomic(target, source, [new VerifyingStream(digest, expectedSize)]);
    } catch (err) {
      throw translateWriteError(digest, err);
    }
    return { digest, size: (await stat(target)).size };
  }

  async delete(digest: Digest, unmodifiedSince?: Date): Promise<boolean> {
    try {
      if (unmodifiedSince !== undefined) {
        const s = await stat(this.#blobPath(digest));
        if (s.mtimeMs >= unmodifiedSince.getTime()) return false;
      }
      await rm(this.#blobPath(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw storageError(`cannot delete blob ${digest}`, err);
    }
  }

  async startUpload(repository: string): Promise<UploadStatus> {
    const id = randomUUID();
    const dir = this.#sessionDir(id);
    const info: SessionInfo = { repository, startedAt: new Date().toISOString() };
    try {
      await mkdir(dir, { recursive: true });
      await (await open(path.join(dir, 'data'), 'wx')).close();
      // info.json written last: a session without it is a crash leftover, unknown to clients.
      const fh = await open(path.join(dir, 'info.json'), 'wx');
      try {
        await fh.writeFile(JSON.stringify(info));
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw storageError('cannot start an upload session', err);
    }
    return { id, repository, size: 0, startedAt: info.startedAt };
  }

  async uploadStatus(repository: string, id: string): Promise<UploadStatus> {
    const info = await this.#session(repository, id);
    try {
      const s = await stat(path.join(this.#sessionDir(id), 'data'));
      return { id, repository, size: s.size, startedAt: info.startedAt };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw unknownUpload(id);
      throw storageError(`cannot read upload ${id}`, err);
    }
  }

  appendUpload(repository: string, id: string, source: Readable, start?: number): Promise<UploadStatus> {
    return this.#locked(id, async () => {
      const before = await this.uploadStatus(repository, id);
      if (start !== undefined && start !== before.size) {
        source.resume(); // drain, so the connection can answer
        throw new RegistryError(
          'RANGE_INVALID',
          `chunk starts at byte ${start} but upload ${id} has ${before.size} bytes: chunks must be sent in order`,
        );
      }
      const data = path.join(this.#sessionDir(id), 'data');
      // Continue the running hash only if it covers exactly the bytes in the file; it is out of
      // the map until this append has succeeded.
      let running = this.#runningHashes.get(id);
      this.#runningHashes.delete(id);
      if (before.size === 0) running = { hash: createHash('sha256'), size: 0 };
      else if (running?.size !== before.size) running = undefined;
      let hashed = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          running?.hash.update(chunk);
          hashed += chunk.length;
          done(undefined, chunk);
        },
      });
      try {
        await pipeline(source, tap, createWriteStream(data, { flags: 'a' }));
        const fh = await open(data, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      } catch (err) {
        throw storageError(`cannot append to upload ${id}`, err);
      }
      const after = await this.uploadStatus(repository, id);
      if (running !== undefined && after.size === before.size + hashed) {
        running.size = after.size;
        this.#keepRunningHash(id, running);
      }
      return after;
    });
  }

  #keepRunningHash(id: string, running: RunningHash): void {
    if (this.#runningHashes.size >= MAX_RUNNING_HASHES) {
      const oldest = this.#runningHashes.keys().next();
      if (oldest.done !== true) this.#runningHashes.delete(oldest.value);
    }
    this.#runningHashes.set(id, running);
  }

  commitUpload(repository: string, id: string, digest: Digest): Promise<BlobInfo> {
    return this.#locked(id, async () => {
      await this.#session(repository, id);
      const dir = this.#sessionDir(id);
      const data = path.join(dir, 'data');
      const running = this.#runningHashes.get(id);
      this.#runningHashes.delete(id);
      try {
        let actual: string;
        if (
          running !== undefined &&
          digestAlgorithm(digest) === 'sha256' &&
          running.size === (await stat(data)).size
        ) {
          actual = `sha256:${running.hash.digest('hex')}`;
        } else {
          const hash = createHash(digestAlgorithm(digest));
          await pipeline(createReadStream(data), hash);
          actual = `${digestAlgorithm(digest)}:${hash.digest('hex')}`;
        }
        if (actual !== digest) {
          throw new RegistryError(
            'DIGEST_INVALID',
            `upload ${id} hashes to ${actual}, not to the digest given, ${digest}`,
          );
        }
        const target = this.#blobPath(digest);
        await mkdir(path.dirname(target), { recursive: true });
        // The data file was fsynced after every append; rename is the atomic publication.
        await rename(data, target);
        const fh = await open(path.dirname(target), 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        return { digest, size: (await stat(target)).size };
      } catch (err) {
        if (isPortcullisError(err)) throw err;
        throw storageError(`cannot complete upload ${id}`, err);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  cancelUpload(repository: string, id: string): Promise<void> {
    return this.#locked(id, async () => {
      await this.#session(repository, id);
      this.#runningHashes.delete(id);
      await rm(this.#sessionDir(id), { recursive: true, force: true });
    });
  }

  async *listBlobs(): AsyncIterable<StoredBlob> {
    for (const algorithm of Object.keys(BLOB_NAME_RE)) {
      const nameRe = BLOB_NAME_RE[algorithm];
      for (const shard of await entries(path.join(this.root, 'blobs', algorithm))) {
        if (!SHARD_RE.test(shard)) continue;
        for (const name of await entries(path.join(this.root, 'blobs', algorithm, shard))) {
          if (nameRe?.test(name) !== true || !name.startsWith(shard)) continue;
          const s = await statIfPresent(path.join(this.root, 'blobs', algorithm, shard, name));
          if (s?.isFile() !== true) continue;
          yield { digest: `${algorithm}:${name}` as Digest, size: s.size, modifiedAt: s.mtime };
        }
      }
    }
  }

  async *listUploads(): AsyncIterable<PendingUpload> {
    for (const id of await entries(path.join(this.root, 'uploads'))) {
      // Anything not named like our sessions is not ours to report (or delete).
      if (!UPLOAD_ID_RE.test(id)) continue;
      const dir = this.#sessionDir(id);
      const [d, data, infoStat] = await Promise.all([
        statIfPresent(dir),
        statIfPresent(path.join(dir, 'data')),
        statIfPresent(path.join(dir, 'info.json')),
      ]);
      if (d === undefined) continue;
      let repository: string | undefined;
      try {
        repository = (JSON.parse(await readFile(path.join(dir, 'info.json'), 'utf8')) as SessionInfo)
          .repository;
      } catch {
        // No (or a torn) info.json: a session killed while starting, unknown to any client.
        repository = undefined;
      }
      const modified = Math.max(d.mtimeMs, data?.mtimeMs ?? 0, infoStat?.mtimeMs ?? 0);
      yield { id, repository, size: data?.size ?? 0, modifiedAt: new Date(modified) };
    }
    for (const algorithm of Object.keys(BLOB_NAME_RE)) {
      for (const shard of await entries(path.join(this.root, 'blobs', algorithm))) {
        if (!SHARD_RE.test(shard)) continue;
        for (const name of await entries(path.join(this.root, 'blobs', algorithm, shard))) {
          if (!TEMP_NAME_RE.test(name)) continue;
          const s = await statIfPresent(path.join(this.root, 'blobs', algorithm, shard, name));
          if (s?.isFile() !== true) continue;
          yield { id: `tmp:${algorithm}/${shard}/${name}`, size: s.size, modifiedAt: s.mtime };
        }
      }
    }
  }

  async deleteUpload(id: string): Promise<boolean> {
    const [, algorithm, shard, name] = TEMP_ID_RE.exec(id) ?? [];
    let target: string;
    if (algorithm !== undefined && shard !== undefined && name !== undefined)
      target = path.join(this.root, 'blobs', algorithm, shard, name);
    else if (UPLOAD_ID_RE.test(id)) target = this.#sessionDir(id);
    else return false;
    if ((await statIfPresent(target)) === undefined) return false;
    try {
      await rm(target, { recursive: true, force: true });
    } catch (err) {
      throw storageError(`cannot remove upload ${id.slice(0, 200)}`, err);
    }
    return true;
  }

  async #session(repository: string, id: string): Promise<SessionInfo> {
    if (!UPLOAD_ID_RE.test(id)) throw unknownUpload(id);
    let info: SessionInfo;
    try {
      info = JSON.parse(await readFile(path.join(this.#sessionDir(id), 'info.json'), 'utf8')) as SessionInfo;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) throw unknownUpload(id);
      throw storageError(`cannot read upload ${id}`, err);
    }
    if (info.repository !== repository) throw unknownUpload(id);
    return info;
  }

  async #locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#sessionLocks.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.#sessionLocks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.#sessionLocks.get(id) === settled) this.#sessionLocks.delete(id);
    }
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw storageError(`cannot list ${dir}`, err);
  }
}

// A file listed a moment ago may be gone (committed, cancelled, collected): that is no error.
async function statIfPresent(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw storageError(`cannot read ${file}`, err);
  }
}

function unknownUpload(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload session "${id.slice(0, 64)}" is not known`);
}

function storageError(what: string, err: unknown): RegistryError {
  return new RegistryError('STORAGE_FAILED', `${what}: ${errorMessage(err)}`, { cause: err });
}

function translateWriteError(digest: Digest, err: unknown): RegistryError {
  if (isPortcullisError(err)) {
    if (err.code === 'DIGEST_MISMATCH')
      return new RegistryError('DIGEST_INVALID', err.message, { cause: err });
    if (err.code === 'SIZE_MISMATCH') return new RegistryError('SIZE_INVALID', err.message, { cause: err });
  }
  return storageError(`cannot store blob ${digest}`, err);
}
