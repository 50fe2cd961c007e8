import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { SqliteMetadataStore } from '../metadata/sqlite.js';
import { FilesystemBlobStore } from '../storage/filesystem.js';
import { startRegistryServer } from './server.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-registry-close-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('closing the registry server', () => {
  // Without closing connections that become idle during close, this waits for Node's keep-alive
  // timeout (72 s) and the test's own timeout fails it.
  it('ends a kept-alive connection whose response was still being sent when close began', async () => {
    const metadata = SqliteMetadataStore.open(path.join(work, 'registry.db'));
    const server = await startRegistryServer({
      host: '127.0.0.1',
      port: 0,
      blobs: new FilesystemBlobStore(work),
      metadata,
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const blob = randomBytes(8 * 1024 * 1024);
      const digest = digestOf(blob);
      const put = await fetch(`${server.url}/v2/team/app/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: blob,
      });
      expect(put.status).toBe(201);

      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(`${server.url}/v2/team/app/blobs/${digest}`, { agent }, resolve).on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      const socketClosed = new Promise<void>((resolve) =>
        res.socket.once('close', () => {
          resolve();
        }),
      );
      // Close begins while the body is still unread: the connection is busy, not idle.
      const closing = server.close();
      let received = 0;
      for await (const chunk of res) received += (chunk as Buffer).length;
      expect(received).toBe(blob.length);
      await closing;
      await socketClosed;
    } finally {
      agent.destroy();
      await metadata.close();
    }
  }, 30_000);
});
