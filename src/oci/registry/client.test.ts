import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger, digestOf, parseDigest, type Digest } from '../../core/index.js';
import { startProxy, type TestProxy } from '../../testing/http-proxy.js';
import {
  addIndexToLayout,
  buildTestImages,
  layoutDescriptor,
  pushLayoutTag,
  readLayoutBlob,
} from '../../testing/oci-images.js';
import { freePort, startRegistry, type TestRegistry } from '../../testing/registry.js';
import { OciError } from '../errors.js';
import { MediaType } from '../mediatypes.js';
import { imageManifestSchema, type ImageManifest } from '../schema.js';
import { RegistryClient } from './client.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<OciError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OciError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

const fast = { retryDelayMs: { base: 10, max: 2000 } } as const;

let registry: TestRegistry;
let work: string;
let layout: string;
let amd: { digest: Digest; size: number };
let manifest: ImageManifest;
let bigLayer: { digest: Digest; size: number };
let bigBytes: Buffer;
let indexDigest: Digest;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-client-test-'));
  layout = path.join(work, 'layout');
  await buildTestImages(
    layout,
    [
      { tag: 'amd', files: { 'etc/hello': 'amd64\n' }, architecture: 'amd64', os: 'linux' },
      { tag: 'arm', files: { 'etc/hello': 'arm64\n' }, architecture: 'arm64', os: 'linux' },
      // Incompressible, so the layer is large enough to be cut in the middle.
      { tag: 'big', files: { 'data/random.bin': randomBytes(512 * 1024) } },
    ],
    work,
  );
  indexDigest = parseDigest(
    (
      await addIndexToLayout(layout, 'multi', [
        { tag: 'amd', platform: { os: 'linux', architecture: 'amd64' } },
        { tag: 'arm', platform: { os: 'linux', architecture: 'arm64' } },
      ])
    ).digest,
  );
  await pushLayoutTag(layout, 'amd', `${registry.host}/test/app:amd`);
  await pushLayoutTag(layout, 'multi', `${registry.host}/test/app:multi`, { all: true });
  await pushLayoutTag(layout, 'big', `${registry.host}/test/big:1`);
  const d = await layoutDescriptor(layout, 'amd');
  amd = { digest: parseDigest(d.digest), size: d.size };
  manifest = imageManifestSchema.parse(JSON.parse((await readLayoutBlob(layout, d.digest)).toString('utf8')));
  const bigManifest = imageManifestSchema.parse(
    JSON.parse(
      (await readLayoutBlob(layout, (await layoutDescriptor(layout, 'big')).digest)).toString('utf8'),
    ),
  );
  const layer = bigManifest.layers[0];
  if (layer === undefined) throw new Error('big image has no layer');
  bigLayer = { digest: layer.digest, size: layer.size };
  bigBytes = await readLayoutBlob(layout, layer.digest);
});

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('manifests from a real registry', () => {
  it('fetches a manifest by tag with its digest and media type', async () => {
    const client = new RegistryClient(fast);
    const m = await client.getManifest({ registry: registry.host, repository: 'test/app', tag: 'amd' });
    expect(m.digest).toBe(amd.digest);
    expect(m.bytes.length).toBe(amd.size);
    expect(m.mediaType).toBe(MediaType.ociManifest);
    client.close();
  });

  it('fetches a manifest by digest and verifies it', async () => {
    const client = new RegistryClient(fast);
    const m = await client.getManifest({
      registry: registry.host,
      repository: 'test/app',
      digest: amd.digest,
    });
    expect(digestOf(m.bytes)).toBe(amd.digest);
    client.close();
  });

  it('fetches an index with both platforms', async () => {
    const client = new RegistryClient(fast);
    const m = await client.getManifest({ registry: registry.host, repository: 'test/app', tag: 'multi' });
    expect(m.digest).toBe(indexDigest);
    expect(m.mediaType).toBe(MediaType.ociIndex);
    client.close();
  });

  it('heads a manifest: digest, media type and size; undefined when missing', async () => {
    const client = new RegistryClient(fast);
    const head = await client.headManifest({ registry: registry.host, repository: 'test/app', tag: 'amd' });
    expect(head).toEqual({ digest: amd.digest, mediaType: MediaType.ociManifest, size: amd.size });
    expect(
      await client.headManifest({ registry: registry.host, repository: 'test/app', tag: 'nope' }),
    ).toBeUndefined();
    client.close();
  });

  it('reports an unknown tag as MANIFEST_UNKNOWN naming the reference', async () => {
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: registry.host, repository: 'test/app', tag: 'missing' }),
    );
    expect(err.code).toBe('MANIFEST_UNKNOWN');
    expect(err.message).toContain(`${registry.host}/test/app:missing`);
    expect(err.message).toContain('MANIFEST_UNKNOWN');
    client.close();
  });

  it('refuses a manifest over the size limit', async () => {
    const client = new RegistryClient({ ...fast, limits: { maxManifestBytes: 100 } });
    const err = await rejection(
      client.getManifest({ registry: registry.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('MANIFEST_TOO_LARGE');
    client.close();
  });

  it('tries HTTPS first on a loopback registry, falls back to HTTP once and remembers it', async () => {
    const logger = createMemoryLogger();
    const client = new RegistryClient({ ...fast, logger });
    await client.getManifest({ registry: registry.host, repository: 'test/app', tag: 'amd' });
    await client.getManifest({ registry: registry.host, repository: 'test/app', digest: amd.digest });
    expect(logger.entries.filter((e) => e.msg.includes('falling back to plain HTTP'))).toHaveLength(1);
    client.close();
  });
});

describe('blobs from a real registry', () => {
  it('streams a layer verified against its digest', async () => {
    const client = new RegistryClient(fast);
    const stream = await client.openBlob({ registry: registry.host, repository: 'test/big' }, bigLayer);
    const bytes = await readAll(stream);
    expect(bytes.equals(bigBytes)).toBe(true);
    client.close();
  });

  it('fetches a small blob and refuses one over the given limit', async () => {
    const client = new RegistryClient(fast);
    const config = await client.fetchBlob(
      { registry: registry.host, repository: 'test/app' },
      manifest.config,
      1024 * 1024,
    );
    expect(digestOf(config)).toBe(manifest.config.digest);
    const err = await rejection(
      client.fetchBlob({ registry: registry.host, repository: 'test/app' }, manifest.config, 10),
    );
    expect(err.code).toBe('LIMIT_EXCEEDED');
    client.close();
  });

  it('reports a missing blob as BLOB_UNKNOWN', async () => {
    const client = new RegistryClient(fast);
    const missing = digestOf('not there');
    const err = await rejection(
      client.openBlob({ registry: registry.host, repository: 'test/app' }, { digest: missing }),
    );
    expect(err.code).toBe('BLOB_UNKNOWN');
    expect(err.message).toContain(missing);
    expect(await client.blobExists({ registry: registry.host, repository: 'test/app' }, missing)).toBe(false);
    expect(
      await client.blobExists({ registry: registry.host, repository: 'test/app' }, manifest.config.digest),
    ).toBe(true);
    client.close();
  });

  it('fails a blob whose stored bytes do not match its digest, naming the digest', async () => {
    // Its own repository and image, so the damage does not affect other tests.
    const dir = path.join(work, 'corrupt');
    await buildTestImages(dir, [{ tag: 'c', files: { 'etc/corrupt': randomBytes(2048) } }], work);
    await pushLayoutTag(dir, 'c', `${registry.host}/test/corrupt:1`);
    const m = imageManifestSchema.parse(
      JSON.parse((await readLayoutBlob(dir, (await layoutDescriptor(dir, 'c')).digest)).toString('utf8')),
    );
    const layer = m.layers[0];
    if (layer === undefined) throw new Error('no layer');
    await writeFile(registry.blobDataPath(layer.digest), randomBytes(layer.size));
    const client = new RegistryClient(fast);
    const stream = await client.openBlob({ registry: registry.host, repository: 'test/corrupt' }, layer);
    await expect(readAll(stream)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(layer.digest) as unknown,
    });
    client.close();
  });
});

describe('failures a healthy registry does not produce (through a loopback proxy)', () => {
  let proxy: TestProxy | undefined;
  afterAll(async () => {
    await proxy?.stop();
  });

  it('resumes a blob download cut midway with a Range request', async () => {
    let cut = false;
    proxy = await startProxy(registry.host, (req, _res, forward) => {
      if (req.url?.includes('/blobs/') && req.method === 'GET' && !cut) {
        cut = true;
        forward({ cutBodyAfter: Math.floor(bigLayer.size / 2) });
      } else {
        forward();
      }
    });
    const logger = createMemoryLogger();
    const client = new RegistryClient({ ...fast, logger });
    const bytes = await readAll(
      await client.openBlob({ registry: proxy.host, repository: 'test/big' }, bigLayer),
    );
    expect(bytes.equals(bigBytes)).toBe(true);
    const blobRequests = proxy.requests.filter((r) => r.url.includes('/blobs/'));
    expect(blobRequests).toHaveLength(2);
    expect(blobRequests[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(blobRequests[1]?.headers.range ?? '')?.[0])).toBeGreaterThan(0);
    expect(logger.entries.some((e) => e.msg.includes('resuming'))).toBe(true);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('resumes correctly when the server ignores Range and sends the whole blob again', async () => {
    let n = 0;
    proxy = await startProxy(registry.host, (req, _res, forward) => {
      if (req.url?.includes('/blobs/') && req.method === 'GET') {
        n++;
        if (n === 1) forward({ cutBodyAfter: 100_000 });
        else forward({ dropRequestHeaders: ['range'] });
      } else {
        forward();
      }
    });
    const client = new RegistryClient(fast);
    const bytes = await readAll(
      await client.openBlob({ registry: proxy.host, repository: 'test/big' }, bigLayer),
    );
    expect(bytes.equals(bigBytes)).toBe(true);
    expect(n).toBe(2);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('gives up on a blob that keeps being cut after the retry count', async () => {
    proxy = await startProxy(registry.host, (req, _res, forward) => {
      if (req.url?.includes('/blobs/') && req.method === 'GET') forward({ cutBodyAfter: 1000 });
      else forward();
    });
    const client = new RegistryClient({ ...fast, retries: 2 });
    const stream = await client.openBlob({ registry: proxy.host, repository: 'test/big' }, bigLayer);
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(proxy.requests.filter((r) => r.url.includes('/blobs/'))).toHaveLength(3);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('retries 503 answers, waiting as long as Retry-After says', async () => {
    let refused = 0;
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/manifests/') && refused < 2) {
        refused++;
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('busy');
      } else {
        forward();
      }
    });
    const client = new RegistryClient(fast);
    const started = Date.now();
    const m = await client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' });
    expect(m.digest).toBe(amd.digest);
    expect(refused).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('does not retry 501 and names the status', async () => {
    let calls = 0;
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/manifests/')) {
        calls++;
        res.writeHead(501).end();
      } else {
        forward();
      }
    });
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain('501');
    expect(calls).toBe(1);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('stops retrying 503 after the retry count', async () => {
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/manifests/')) res.writeHead(503).end();
      else forward();
    });
    const client = new RegistryClient({ ...fast, retries: 2 });
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.message).toContain('503');
    expect(proxy.requests.filter((r) => r.url.includes('/manifests/'))).toHaveLength(3);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('refuses a manifest whose Docker-Content-Digest does not match its bytes', async () => {
    proxy = await startProxy(registry.host, (_req, _res, forward) => {
      forward({ rewriteHeaders: (h) => ({ ...h, 'docker-content-digest': digestOf('something else') }) });
    });
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.message).toContain('Docker-Content-Digest');
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('caps a manifest sent without Content-Length while reading it', async () => {
    proxy = await startProxy(registry.host, (_req, _res, forward) => {
      forward({
        rewriteHeaders: (h) => {
          // Without Content-Length Node sends the body chunked, so only reading can enforce the cap.
          const rest = { ...h };
          delete rest['content-length'];
          return rest;
        },
      });
    });
    const client = new RegistryClient({ ...fast, limits: { maxManifestBytes: 100 } });
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('MANIFEST_TOO_LARGE');
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('maps 403 to DENIED with the message of the registry', async () => {
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/manifests/')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }],
          }),
        );
      } else {
        forward();
      }
    });
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('DENIED');
    expect(err.message).toContain('requested access to the resource is denied');
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('refuses Docker schema 1 manifests with a clear error', async () => {
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': MediaType.dockerSchema1Signed });
        res.end(
          JSON.stringify({ schemaVersion: 1, name: 'test/app', tag: 'old', fsLayers: [], history: [] }),
        );
      } else {
        forward();
      }
    });
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: proxy.host, repository: 'test/app', tag: 'old' }),
    );
    expect(err.code).toBe('MANIFEST_UNSUPPORTED');
    expect(err.message).toMatch(/schema 1/);
    client.close();
    await proxy.stop();
    proxy = undefined;
  });

  it('refuses to follow a redirect to plain HTTP on a non-loopback host', async () => {
    proxy = await startProxy(registry.host, (req, res, forward) => {
      if (req.url?.includes('/blobs/')) res.writeHead(307, { location: 'http://blobs.invalid/data' }).end();
      else forward();
    });
    const client = new RegistryClient(fast);
    const err = await rejection(client.openBlob({ registry: proxy.host, repository: 'test/big' }, bigLayer));
    expect(err.code).toBe('INSECURE_REFUSED');
    expect(err.message).toContain('--insecure');
    client.close();
    await proxy.stop();
    proxy = undefined;
  });
});

describe('connections', () => {
  it('times out when the registry accepts but never answers', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      held.push(socket);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const client = new RegistryClient({ ...fast, timeoutMs: 200, retries: 1, plainHttp: true });
    const err = await rejection(
      client.getManifest({ registry: `127.0.0.1:${port}`, repository: 'a/b', tag: 'x' }),
    );
    expect(err.code).toBe('TIMEOUT');
    client.close();
    // A socket nobody reads never sees the client's FIN, so close() alone would wait forever.
    for (const socket of held) socket.destroy();
    await new Promise<void>((r) => {
      silent.close(() => {
        r();
      });
    });
  });

  it('reports a closed port as REGISTRY_UNREACHABLE', async () => {
    const port = await freePort();
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: `127.0.0.1:${port}`, repository: 'a/b', tag: 'x' }),
    );
    expect(err.code).toBe('REGISTRY_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    client.close();
  });

  it('refuses plain HTTP to a non-loopback registry before opening any connection', async () => {
    let sockets = 0;
    const onSocket = (): void => {
      sockets++;
    };
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      const client = new RegistryClient({ ...fast, plainHttp: true });
      const err = await rejection(
        client.getManifest({ registry: 'registry.invalid', repository: 'a/b', tag: 'x' }),
      );
      expect(err.code).toBe('INSECURE_REFUSED');
      expect(err.message).toContain('--insecure');
      expect(sockets).toBe(0);
      client.close();
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
  });
});

describe('TLS', () => {
  let tls: TestRegistry;
  beforeAll(async () => {
    tls = await startRegistry({ tls: true });
    await pushLayoutTag(layout, 'amd', `${tls.host}/test/app:amd`);
  });
  afterAll(async () => {
    await tls.stop();
  });

  it('refuses an untrusted certificate and says how to accept it', async () => {
    const client = new RegistryClient(fast);
    const err = await rejection(
      client.getManifest({ registry: tls.host, repository: 'test/app', tag: 'amd' }),
    );
    expect(err.code).toBe('REGISTRY_UNREACHABLE');
    expect(err.message).toMatch(/certificate/i);
    expect(err.message).toContain('--insecure');
    client.close();
  });

  it('accepts a self-signed certificate with insecure', async () => {
    const client = new RegistryClient({ ...fast, insecure: true });
    const m = await client.getManifest({ registry: tls.host, repository: 'test/app', tag: 'amd' });
    expect(m.digest).toBe(amd.digest);
    client.close();
  });
});
