import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseImageRef, type ImageRef } from '../imageref/index.js';
import { RegistryClient } from '../oci/index.js';
import { buildTestImages, pushLayoutTag } from './oci-images.js';
import { startRegistry, type TestRegistry } from './registry.js';

/**
 * A real registry, a client for it, and two small distinct images (layout tags 'one' and 'two')
 * ready to push: what the signing tests sign, attest and verify.
 */
export type SigningFixture = {
  readonly registry: TestRegistry;
  readonly client: RegistryClient;
  /**
   * Pushes layout tag `from` to `<host>/<repository>:<tag>` with skopeo; `host` is the registry's
   * unless given (a proxy in front of it, say).
   */
  push(from: string, repository: string, tag: string, host?: string): Promise<ImageRef>;
  /** Closes the client, stops the registry and removes the images. */
  close(): Promise<void>;
};

/**
 * Starts the registry and builds the images in a temporary folder named after `prefix`. Each
 * image holds one file of `fileBytes` random bytes, so that the two never share a digest.
 */
export async function startSigningFixture(prefix: string, fileBytes = 512): Promise<SigningFixture> {
  const registry = await startRegistry();
  const client = new RegistryClient({ retryDelayMs: { base: 10, max: 2000 } });
  const work = await mkdtemp(path.join(os.tmpdir(), prefix));
  const layout = path.join(work, 'layout');
  await buildTestImages(
    layout,
    [
      { tag: 'one', files: { 'etc/one': randomBytes(fileBytes) } },
      { tag: 'two', files: { 'etc/two': randomBytes(fileBytes) } },
    ],
    work,
  );
  return {
    registry,
    client,
    async push(from, repository, tag, host = registry.host) {
      await pushLayoutTag(layout, from, `${host}/${repository}:${tag}`);
      return parseImageRef(`${host}/${repository}:${tag}`);
    },
    async close() {
      client.close();
      await registry.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
