// A real docker-registry for the signature-verification entries, started by the bench itself
// (bench builds without src/testing): one small image pushed with our client and signed
// with a fresh key, as `portcullis sign --key` would.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { digestOf } from '../src/core/index.js';
import { parseImageRef } from '../src/imageref/index.js';
import { MediaType, RegistryClient } from '../src/oci/index.js';
import { signImage } from '../src/signing/index.js';

export type SignedImageRegistry = {
  /** `127.0.0.1:PORT/bench/signed:v1`. */
  readonly reference: string;
  /** The image's digest-pinned reference. */
  readonly pinned: string;
  /** PEM file of the public key that signed it. */
  readonly publicKeyPath: string;
  stop(): Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitForRegistry(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited()) throw new Error('docker-registry exited before it answered');
    try {
      if ((await fetch(`${url}/v2/`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url} within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts docker-registry on a free loopback port, pushes one image and signs it. */
export async function startSignedImageRegistry(): Promise<SignedImageRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} } }`,
      `http: { addr: ${host} }`,
      '',
    ].join('\n'),
  );
  // The registry logs every 404 (the referrers fallback tag the verifier looks up) at error
  // level; its output is shown only when it fails to start.
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  proc.stderr.on('data', (b: Buffer) => {
    if (output.length < 64 * 1024) output += b.toString('utf8');
  });
  let hasExited = false;
  const exit = new Promise<void>((r) =>
    proc.once('exit', () => {
      hasExited = true;
      r();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!hasExited) {
      proc.kill('SIGTERM');
      await exit;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForRegistry(`http://${host}`, () => hasExited);
    const ref = parseImageRef(`${host}/bench/signed:v1`);
    const client = new RegistryClient();
    // An empty tar archive (two zero blocks): the verifier never reads layers.
    const layer = Buffer.alloc(1024);
    const imageConfig = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
      }),
    );
    await client.pushBlob(ref, { digest: digestOf(layer), size: layer.length }, () => layer);
    await client.pushBlob(
      ref,
      { digest: digestOf(imageConfig), size: imageConfig.length },
      () => imageConfig,
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: digestOf(imageConfig), size: imageConfig.length },
        layers: [{ mediaType: MediaType.ociLayerTar, digest: digestOf(layer), size: layer.length }],
      }),
    );
    const digest = await client.putManifest(ref, manifest, MediaType.ociManifest);
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await signImage(client, ref, keys.privateKey);
    client.close();
    const publicKeyPath = path.join(dir, 'cosign.pub');
    await writeFile(publicKeyPath, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    return {
      reference: `${host}/bench/signed:v1`,
      pinned: `${host}/bench/signed@${digest}`,
      publicKeyPath,
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(
      `bench registry set-up failed: ${String(err)}; registry output: ${output.slice(0, 2000)}`,
      {
        cause: err,
      },
    );
  }
}
