import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import type { PendingUpload, StoredBlob } from './blob-store.js';
import { FilesystemBlobStore } from './filesystem.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function pieces(data: Buffer, size = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

let root: string;
let store: FilesystemBlobStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-blobstore-'));
  store = new FilesystemBlobStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('FilesystemBlobStore', () => {
  it.each(['sha256', 'sha512'] as const)(
    'stores a %s blob after verifying it and reads it back whole or by range',
    async (alg) => {
      const data = randomBytes(50_000);
      const digest = digestOf(data, alg);
      expect(await store.put(digest, pieces(data), data.length)).toEqual({ digest, size: data.length });
      expect(await store.stat(digest)).toEqual({ digest, size: data.length });
      expect((await readAll(await store.open(digest))).equals(data)).toBe(true);
      const part = await readAll(await store.open(digest, { start: 100, end: 199 }));
      expect(part.equals(data.subarray(100, 200))).toBe(true);
    },
  );

  it('refuses content that does not hash to the digest and leaves no file behind', async () => {
    const digest = digestOf('expected');
    await expect(store.put(digest, Readable.from([Buffer.from('tampered')]))).rejects.toMatchObject({
      code: 'DIGEST_INVALID',
    });
    expect(await store.stat(digest)).toBeUndefined();
    expect(await filesUnder(path.join(root, 'blobs'))).toEqual([]);
  });

  it('refuses content of the wrong size', async () => {
    const data = Buffer.from('twelve bytes');
    await expect(store.put(digestOf(data), Readable.from([data]), 5)).rejects.toMatchObject({
      code: 'SIZE_INVALID',
    });
    expect(await store.stat(digestOf(data))).toBeUndefined();
  });

  it('refuses a range outside the blob and an unknown blob', async () => {
    const data = Buffer.from('0123456789');
    const digest = digestOf(data);
    await store.put(digest, Readable.from([data]));
    await expect(store.open(digest, { start: 5, end: 10 })).rejects.toMatchObject({ code: 'RANGE_INVALID' });
    await expect(store.open(digestOf('absent'))).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });
  });

  it('keeps one correct blob when the same content is pushed many times at once', async () => {
    const data = randomBytes(300_000);
    const digest = digestOf(data);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => store.put(digest, pieces(data, 4096))),
    );
    expect(results.every((r) => r.size === data.length)).toBe(true);
    expect((await readAll(await store.open(digest))).equals(data)).toBe(true);
    expect(await filesUnder(path.join(root, 'blobs'))).toHaveLength(1);
  });

  it('assembles chunked uploads in order, refuses chunks out of order, and survives a restart', async () => {
    const data = randomBytes(10_000);
    const digest = digestOf(data);
    const s = await store.startUpload('team/app');
    expect(s.size).toBe(0);
    await store.appendUpload('team/app', s.id, Readable.from([data.subarray(0, 4000)]), 0);
    await expect(
      store.appendUpload('team/app', s.id, Readable.from([data.subarray(6000)]), 6000),
    ).rejects.toMatchObject({ code: 'RANGE_INVALID' });

    // A new store over the same directory (a restarted server) knows the session and its size.
    const restarted = new FilesystemBlobStore(root);
    expect((await restarted.uploadStatus('team/app', s.id)).size).toBe(4000);
    await restarted.appendUpload('team/app', s.id, Readable.from([data.subarray(4000)]), 4000);
    expect(await restarted.commitUpload('team/app', s.id, digest)).toEqual({ digest, size: data.length });
    expect((await readAll(await restarted.open(digest))).equals(data)).toBe(true);
    await expect(restarted.uploadStatus('team/app', s.id)).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_UNKNOWN',
    });
    expect(await filesUnder(path.join(root, 'uploads'))).toEqual([]);
  });

  it('discards an upload whose content does not match the digest on commit', async () => {
    const s = await store.startUpload('team/app');
    await store.appendUpload('team/app', s.id, Readable.from([Buffer.from('some bytes')]));
    const wrong = digestOf('other bytes');
    await expect(store.commitUpload('team/app', s.id, wrong)).rejects.toMatchObject({
      code: 'DIGEST_INVALID',
    });
    expect(await store.stat(wrong)).toBeUndefined();
    await expect(store.uploadStatus('team/app', s.id)).rejects.toBeInstanceOf(RegistryError);
  });

  it('keeps sessions to their repository and refuses ids that are not its own', async () => {
    const s = await store.startUpload('team/app');
    await expect(store.uploadStatus('team/other', s.id)).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_UNKNOWN',
    });
    await expect(store.uploadStatus('team/app', '../../blobs')).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_UNKNOWN',
    });
    await store.cancelUpload('team/app', s.id);
    await expect(store.uploadStatus('team/app', s.id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
  });

  it('never serves what a crash left behind: a temporary blob file or a session without its info', async () => {
    const data = Buffer.from('half written');
    const digest = digestOf(data);
    const hex = digest.slice('sha256:'.length);
    const blobDir = path.join(root, 'blobs', 'sha256', hex.slice(0, 2));
    await mkdir(blobDir, { recursive: true });
    await writeFile(path.join(blobDir, `.tmp-${hex}-abcdef`), data.subarray(0, 4));
    expect(await store.stat(digest)).toBeUndefined();
    await expect(store.open(digest)).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });

    const id = '0b0a3a53-5a38-4bb1-9a8e-1c2f3e4d5a6b';
    await mkdir(path.join(root, 'uploads', id), { recursive: true });
    await writeFile(path.join(root, 'uploads', id, 'data'), data);
    await expect(store.uploadStatus('team/app', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    await expect(store.commitUpload('team/app', id, digest)).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_UNKNOWN',
    });
    expect(await store.stat(digest)).toBeUndefined();
  });

  it('deletes a blob and says whether it was there', async () => {
    const digest: Digest = digestOf('gone');
    await store.put(digest, Readable.from([Buffer.from('gone')]));
    expect(await store.delete(digest)).toBe(true);
    expect(await store.delete(digest)).toBe(false);
    expect(await store.stat(digest)).toBeUndefined();
  });

  it('deletes a blob only when it was not written again since a given time', async () => {
    const digest: Digest = digestOf('again');
    await store.put(digest, Readable.from([Buffer.from('again')]));
    expect(await store.delete(digest, new Date(Date.now() - 60_000))).toBe(false);
    expect(await store.stat(digest)).toBeDefined();
    expect(await store.delete(digest, new Date(Date.now() + 60_000))).toBe(true);
    expect(await store.delete(digest, new Date(Date.now() + 60_000))).toBe(false);
  });

  it('lists stored blobs with size and time, and nothing that is not a whole blob', async () => {
    const a = Buffer.from('blob a');
    const b = randomBytes(3000);
    const before = Date.now() - 1000;
    await store.put(digestOf(a), Readable.from([a]));
    await store.put(digestOf(b), Readable.from([b]));
    const hex = digestOf('x').slice('sha256:'.length);
    const shard = path.join(root, 'blobs', 'sha256', hex.slice(0, 2));
    await mkdir(shard, { recursive: true });
    await writeFile(path.join(shard, `.tmp-${hex}-0123456789ab`), 'part');
    await writeFile(path.join(shard, 'README'), 'not a blob');
    const listed: StoredBlob[] = [];
    for await (const blob of store.listBlobs()) listed.push(blob);
    expect(listed.map((l) => [l.digest, l.size]).sort()).toEqual(
      [
        [digestOf(a), a.length],
        [digestOf(b), b.length],
      ].sort(),
    );
    for (const l of listed) expect(l.modifiedAt.getTime()).toBeGreaterThan(before);
  });

  it('lists unfinished writes (sessions, crash leftovers, temporary files) and deletes them by id', async () => {
    const s = await store.startUpload('team/app');
    await store.appendUpload('team/app', s.id, Readable.from([Buffer.from('12345')]));
    const orphan = '0b0a3a53-5a38-4bb1-9a8e-1c2f3e4d5a6b';
    await mkdir(path.join(root, 'uploads', orphan), { recursive: true });
    await writeFile(path.join(root, 'uploads', orphan, 'data'), 'abc');
    await mkdir(path.join(root, 'uploads', 'not-a-session'), { recursive: true });
    const hex = digestOf('x').slice('sha256:'.length);
    const shard = path.join(root, 'blobs', 'sha256', hex.slice(0, 2));
    await mkdir(shard, { recursive: true });
    await writeFile(path.join(shard, `.tmp-${hex}-0123456789ab`), 'part');

    const listed: PendingUpload[] = [];
    for await (const u of store.listUploads()) listed.push(u);
    const byId = new Map(listed.map((u) => [u.id, u]));
    expect(listed).toHaveLength(3);
    expect(byId.get(s.id)).toMatchObject({ repository: 'team/app', size: 5 });
    expect(byId.get(orphan)).toMatchObject({ repository: undefined, size: 3 });
    const temp = `tmp:sha256/${hex.slice(0, 2)}/.tmp-${hex}-0123456789ab`;
    expect(byId.get(temp)).toMatchObject({ size: 4 });

    for (const id of [s.id, orphan, temp]) expect(await store.deleteUpload(id)).toBe(true);
    expect(await store.deleteUpload(s.id)).toBe(false);
    // Ids that are not ours never reach a path.
    expect(await store.deleteUpload('not-a-session')).toBe(false);
    expect(await store.deleteUpload('tmp:sha256/../../registry.db')).toBe(false);
    await expect(store.uploadStatus('team/app', s.id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await filesUnder(path.join(root, 'uploads'))).toEqual([]);
    expect(await filesUnder(shard)).toEqual([]);
  });
});
