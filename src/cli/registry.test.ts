import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../core/index.js';
import { MediaType } from '../oci/index.js';
import { FilesystemBlobStore, SqliteMetadataStore, type GcReport } from '../registry/index.js';
import { runCommandCaptured } from '../testing/cli.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../testing/portcullis-registry.js';
import { runRegistry } from './commands/registry.js';

// `portcullis registry gc` against the data directory of a running registry, filled through
// its HTTP API; the server keeps serving throughout.

let work: string;
let reg: TestPortcullisRegistry;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-registry-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  reg = await startPortcullisRegistry({ noAuth: true });
});
afterEach(async () => {
  await reg.stop();
});

async function pushBlob(repo: string, data: Buffer): Promise<Digest> {
  const digest = digestOf(data);
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  expect(res.status).toBe(201);
  return digest;
}

/** Pushes a one-layer image under `tag`; returns the manifest's and its blobs' digests. */
async function pushImage(repo: string, tag: string): Promise<{ manifest: Digest; blobs: Digest[] }> {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
  );
  const layer = randomBytes(4096);
  const blobs = [await pushBlob(repo, config), await pushBlob(repo, layer)];
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: blobs[0], size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: blobs[1], size: layer.length }],
    }),
  );
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': MediaType.ociManifest },
    body,
  });
  expect(res.status).toBe(201);
  return { manifest: digestOf(body), blobs };
}

/** Starts a chunked upload and sends one chunk, then leaves it (a client that went away). */
async function abandonUpload(repo: string, size: number): Promise<string> {
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location') ?? '', reg.url);
  const patch = await fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${size - 1}` },
    body: randomBytes(size),
  });
  expect(patch.status).toBe(202);
  return start.headers.get('docker-upload-uuid') ?? '';
}

async function status(repo: string, kind: 'blobs' | 'manifests', digest: Digest): Promise<number> {
  const res = await fetch(`${reg.url}/v2/${repo}/${kind}/${digest}`, {
    headers: { accept: MediaType.ociManifest },
  });
  await res.arrayBuffer();
  return res.status;
}

const gc = (args: readonly string[]) =>
  runCommandCaptured(runRegistry, ['gc', '--data-dir', reg.dataDir, ...args], { cwd: work });

describe('portcullis registry gc', () => {
  it('lists in a dry run, keeps young data, then removes unreferenced blobs and abandoned uploads while the server runs', async () => {
    const image = await pushImage('team/app', 'v1');
    const orphan = await pushBlob('team/app', randomBytes(10_000));
    const upload = await abandonUpload('team/app', 3000);

    const dry = await gc(['--dry-run', '--grace-period', '0s']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would remove blob ${orphan} 10000 bytes`);
    expect(dry.stdout).toContain(`would remove upload ${upload} in team/app 3000 bytes`);
    expect(dry.stdout).toMatch(
      /1 manifests keep 3 blobs; would remove 1 blobs \(1 links\) and 1 uploads, 13000 bytes \(dry run\)/,
    );
    expect(await status('team/app', 'blobs', orphan)).toBe(200);

    // The default grace period (2h) protects everything pushed a moment ago.
    const young = await gc(['--format', 'json']);
    expect(JSON.parse(young.stdout)).toMatchObject({ blobs: [], uploads: [], kept: 1, bytesFreed: 0 });
    expect(await status('team/app', 'blobs', orphan)).toBe(200);

    const run = await gc(['--grace-period', '0s', '--format', 'json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as GcReport;
    expect(report).toMatchObject({
      dryRun: false,
      gracePeriodSeconds: 0,
      manifests: 1,
      marked: 3,
      links: 1,
      bytesFreed: 13_000,
      blobs: [{ digest: orphan, size: 10_000, stored: true }],
      uploads: [{ id: upload, repository: 'team/app', size: 3000 }],
    });
    expect(await status('team/app', 'blobs', orphan)).toBe(404);
    expect(await readdir(path.join(reg.dataDir, 'uploads'))).toEqual([]);
    const resumed = await fetch(`${reg.url}/v2/team/app/blobs/uploads/${upload}`);
    expect(resumed.status).toBe(404);
    // The image is whole and still served.
    expect(await status('team/app', 'manifests', image.manifest)).toBe(200);
    for (const b of image.blobs) expect(await status('team/app', 'blobs', b)).toBe(200);

    // A second run finds nothing more.
    const again = JSON.parse((await gc(['--grace-period', '0s', '--format', 'json'])).stdout) as GcReport;
    expect(again).toMatchObject({ blobs: [], uploads: [], bytesFreed: 0 });
  });

  it("takes the data directory and grace period from the config file's server section, flags first", async () => {
    const orphan = await pushBlob('team/app', randomBytes(500));
    const config = path.join(reg.dataDir, '..', 'portcullis.yaml');
    await writeFile(
      config,
      [
        'apiVersion: portcullis.dev/v1alpha1',
        'kind: Policy',
        'server:',
        `  dataDir: ${path.basename(reg.dataDir)}`,
        '  gc:',
        '    gracePeriod: 7d',
        '',
      ].join('\n'),
    );
    const run = (args: readonly string[]) =>
      runCommandCaptured(runRegistry, ['gc', '--config', config, '--format', 'json', ...args], { cwd: work });
    const young = JSON.parse((await run([])).stdout) as GcReport;
    expect(young).toMatchObject({ gracePeriodSeconds: 7 * 86400, kept: 1, blobs: [] });
    const now = JSON.parse((await run(['--grace-period', '0s'])).stdout) as GcReport;
    expect(now.blobs.map((b) => b.digest)).toEqual([orphan]);
    await expect(
      runCommandCaptured(runRegistry, ['gc', '--config', path.join(work, 'missing.yaml')], { cwd: work }),
    ).rejects.toMatchObject({ code: 'POLICY_NOT_FOUND' });
  });

  it('refuses a bad grace period, a directory without registry data, and unknown subcommands', async () => {
    await expect(gc(['--grace-period', '2 hours'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(gc(['--format', 'yaml'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      runCommandCaptured(runRegistry, ['gc', '--data-dir', path.join(work, 'nothing-here')], { cwd: work }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runCommandCaptured(runRegistry, ['prune'], { cwd: work })).rejects.toMatchObject({
      code: 'USAGE',
    });
    const help = await runCommandCaptured(runRegistry, ['--help'], { cwd: work });
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('portcullis registry gc');
    expect((await runCommandCaptured(runRegistry, [], { cwd: work })).code).toBe(2);
  });

  it('stops with MANIFEST_INVALID and removes nothing when a recorded manifest is missing its bytes', async () => {
    // Written through the stores (no server, whose background work would read the manifest too).
    const dataDir = await mkdtemp(path.join(work, 'broken-'));
    const blobs = new FilesystemBlobStore(dataDir);
    const meta = SqliteMetadataStore.open(path.join(dataDir, 'registry.db'));
    const orphan = randomBytes(100);
    await blobs.put(digestOf(orphan), Readable.from([orphan]));
    await meta.putManifest(
      'team/app',
      { digest: digestOf('gone'), mediaType: MediaType.ociManifest, size: 4 },
      ['v1'],
    );
    await meta.close();
    await expect(
      runCommandCaptured(runRegistry, ['gc', '--data-dir', dataDir, '--grace-period', '0s'], { cwd: work }),
    ).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    expect(await blobs.stat(digestOf(orphan))).toBeDefined();
  });
});
