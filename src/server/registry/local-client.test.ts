import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigest, type Digest } from '../../core/index.js';
import { MediaType, OciError, RegistryClient } from '../../oci/index.js';
import { fetchSignatures, signImage, signImageWithBundle } from '../../signing/index.js';
import { buildTestImages, pushLayoutTag } from '../../testing/oci-images.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import { LocalRegistryClient } from './local-client.js';

// LocalRegistryClient against the stores of our registry, compared with RegistryClient over
// HTTP on the same content: the same manifests, referrers and signatures, read without HTTP.

let work: string;
let reg: TestPortcullisRegistry;
let http: RegistryClient;
let local: LocalRegistryClient;
let digest: Digest;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-local-client-'));
  const layout = path.join(work, 'layout');
  await buildTestImages(layout, [{ tag: 'one', files: { 'etc/one': randomBytes(256) } }], work);
  reg = await startPortcullisRegistry({ noAuth: true });
  http = new RegistryClient({ retries: 0 });
  local = new LocalRegistryClient(reg.blobs, reg.metadata);
  await pushLayoutTag(layout, 'one', `${reg.host}/team/app:v1`);
  const head = await http.headManifest({ registry: reg.host, repository: 'team/app', tag: 'v1' });
  if (head === undefined) throw new Error('the image was not pushed');
  digest = head.digest;
}, 120_000);

afterAll(async () => {
  http.close();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

const ref = (over: { tag?: string; digest?: string; repository?: string } = {}) => ({
  registry: 'ignored.example',
  repository: over.repository ?? 'team/app',
  ...(over.tag === undefined ? {} : { tag: over.tag }),
  ...(over.digest === undefined ? {} : { digest: over.digest }),
});

describe('LocalRegistryClient', () => {
  it('reads manifests, tags and blobs as the HTTP client does, whatever host the reference names', async () => {
    const viaHttp = await http.getManifest({ registry: reg.host, repository: 'team/app', tag: 'v1' });
    const viaStore = await local.getManifest(ref({ tag: 'v1' }));
    expect(viaStore).toEqual(viaHttp);
    expect(await local.headManifest(ref({ digest }))).toEqual({
      digest,
      mediaType: viaHttp.mediaType,
      size: viaHttp.bytes.length,
    });
    expect(await local.listTags(ref())).toEqual(['v1']);
    const manifest = JSON.parse(viaHttp.bytes.toString('utf8')) as {
      config: { digest: string; size: number };
    };
    const config = await local.fetchBlob(ref(), manifest.config, 1 << 20);
    const remote = { registry: reg.host, repository: 'team/app' };
    expect(config.equals(await http.fetchBlob(remote, manifest.config, 1 << 20))).toBe(true);
    await expect(local.fetchBlob(ref(), manifest.config, 10)).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
  });

  it('answers as the routes do for what is not there: unknown tags, media types not accepted, blobs of other repositories', async () => {
    await expect(local.getManifest(ref({ tag: 'nope' }))).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    expect(await local.headManifest(ref({ tag: 'nope' }))).toBeUndefined();
    await expect(
      local.getManifest(ref({ tag: 'v1' }), { accept: [MediaType.dockerManifest] }),
    ).rejects.toBeInstanceOf(OciError);
    const manifest = JSON.parse((await local.getManifest(ref({ digest }))).bytes.toString('utf8')) as {
      config: { digest: string; size: number };
    };
    await expect(
      local.fetchBlob(ref({ repository: 'other/app' }), manifest.config, 1 << 20),
    ).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
    });
    expect(
      await local.blobExists(ref({ repository: 'other/app' }), parseDigest(manifest.config.digest)),
    ).toBe(false);
  });

  it('finds cosign .sig signatures and Sigstore bundle referrers, and refuses to write', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const image = { registry: reg.host, repository: 'team/app', digest };
    await signImage(http, image, privateKey);
    const bundled = await signImageWithBundle(http, image, privateKey);
    const fetched = await fetchSignatures(local, ref(), digest);
    expect(fetched.candidates).toHaveLength(1);
    expect(fetched.bundles.map((b) => b.referrer.digest)).toEqual([bundled.referrerDigest]);
    expect(fetched.bundles[0]?.bytes?.equals(bundled.bundle)).toBe(true);
    expect(await local.getReferrers(ref(), digest)).toEqual(await http.getReferrers(image, digest));
    // Code written against RegistryClient (the signing library) sees the refusal.
    const asClient: RegistryClient = local;
    await expect(
      asClient.putManifest(ref({ tag: 'x' }), Buffer.from('{}'), MediaType.ociManifest),
    ).rejects.toMatchObject({ code: 'DENIED' });
  });

  it('fails a blob whose stored bytes no longer match its digest', async () => {
    const manifest = JSON.parse((await local.getManifest(ref({ digest }))).bytes.toString('utf8')) as {
      config: { digest: string; size: number };
    };
    const hex = manifest.config.digest.slice('sha256:'.length);
    const file = path.join(reg.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
    await chmod(file, 0o600);
    await writeFile(file, Buffer.alloc(manifest.config.size, 0x20));
    await expect(local.fetchBlob(ref(), manifest.config, 1 << 20)).rejects.toMatchObject({
      code: 'REGISTRY_ERROR',
    });
  });
});
