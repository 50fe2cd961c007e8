import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { FilesystemBlobStore } from './filesystem.js';

// An upload session's digest is computed as its chunks are appended, so that the commit need
// not read the data file again. Whatever the hash so far cannot vouch for (an append that
// failed midway, a restart, another algorithm) must still be verified from the file.

let root: string;
let store: FilesystemBlobStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-upload-hash-'));
  store = new FilesystemBlobStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A body that delivers `bytes` and then fails, as a client that drops the connection. */
function droppedAfter(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else this.destroy(new Error('connection reset'));
    },
  });
}

describe('upload session digests', () => {
  it('verifies a session resumed after an append that failed midway', async () => {
    const data = randomBytes(200_000);
    const s = await store.startUpload('team/app');
    await store.appendUpload('team/app', s.id, Readable.from([data.subarray(0, 50_000)]), 0);
    await expect(
      store.appendUpload('team/app', s.id, droppedAfter(data.subarray(50_000, 120_000)), 50_000),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    // The client asks where the session stands and sends the rest from there.
    const at = (await store.uploadStatus('team/app', s.id)).size;
    expect(at).toBeGreaterThanOrEqual(50_000);
    expect(at).toBeLessThanOrEqual(120_000);
    await store.appendUpload('team/app', s.id, Readable.from([data.subarray(at)]), at);
    const digest = digestOf(data);
    expect(await store.commitUpload('team/app', s.id, digest)).toEqual({ digest, size: data.length });
    expect(await store.stat(digest)).toEqual({ digest, size: data.length });
  });

  it('verifies sha512 sessions and sessions continued by another store (a restart) from the file', async () => {
    const data = randomBytes(30_000);
    const s = await store.startUpload('team/app');
    await store.appendUpload('team/app', s.id, Readable.from([data]), 0);
    const sha512 = digestOf(data, 'sha512');
    expect(await store.commitUpload('team/app', s.id, sha512)).toEqual({ digest: sha512, size: data.length });

    const t = await store.startUpload('team/app');
    await store.appendUpload('team/app', t.id, Readable.from([data.subarray(0, 10_000)]), 0);
    const restarted = new FilesystemBlobStore(root);
    await restarted.appendUpload('team/app', t.id, Readable.from([data.subarray(10_000)]), 10_000);
    // The first store's hash covers only the first chunk: it must neither be continued by the
    // next append nor decide the commit.
    const extra = randomBytes(500);
    await store.appendUpload('team/app', t.id, Readable.from([extra]), data.length);
    const whole = Buffer.concat([data, extra]);
    const digest = digestOf(whole);
    expect(await store.commitUpload('team/app', t.id, digest)).toEqual({ digest, size: whole.length });

    // A wrong digest is refused whichever way the session was hashed.
    const u = await store.startUpload('team/app');
    await store.appendUpload('team/app', u.id, Readable.from([data]), 0);
    await expect(store.commitUpload('team/app', u.id, digestOf('other'))).rejects.toMatchObject({
      code: 'DIGEST_INVALID',
    });
  });
});
