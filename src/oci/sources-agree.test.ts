// One image, four transports: built with umoci, pushed with skopeo to a real distribution
// registry (no auth, htpasswd Basic, token auth), and exported with skopeo to an OCI archive
// and a docker-archive. Every way of reading it must agree on config digest, diffIDs and the
// merged file list.
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../imageref/index.js';
import { pushLayoutTag, runCommand, writeAuthFile } from '../testing/oci-images.js';
import { startRegistry, type TestRegistry, type TestRegistryAuth } from '../testing/registry.js';
import {
  BlobCache,
  createStaticCredentialStore,
  openImageSource,
  readImageFiles,
  RegistryClient,
  RegistryImageSource,
  type CredentialStore,
  type Image,
} from './index.js';

type Seen = {
  configDigest: string;
  diffIDs: string[];
  files: string[];
  passwd: string | undefined;
};

const WANT = (p: string) => p === 'etc/passwd' || p.startsWith('app/');

async function summarize(image: Image): Promise<Seen> {
  if (image.kind !== 'layered') throw new Error('expected a layered image');
  const tree = await readImageFiles(image, { want: WANT });
  return {
    configDigest: image.configDigest,
    diffIDs: image.layers.map((l) => l.diffID),
    files: tree.entries().map((e) => `${e.type} ${e.path} ${e.type === 'file' ? e.size : ''}`),
    passwd: tree.readFile('etc/passwd')?.toString('utf8'),
  };
}

let work: string;
let layout: string;
const noRegistry = () => {
  throw new Error('local targets only');
};

async function readLocal(target: string): Promise<Seen> {
  const source = await openImageSource(target, { cacheDir: path.join(work, 'cache'), registry: noRegistry });
  try {
    return await summarize(await source.open());
  } finally {
    await source.close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-agree-'));
  layout = path.join(work, 'layout');
  const bundle = path.join(work, 'bundle');
  await runCommand('umoci', ['init', '--layout', layout]);
  await runCommand('umoci', ['new', '--image', `${layout}:app`]);
  await runCommand('umoci', ['unpack', '--rootless', '--image', `${layout}:app`, bundle]);
  const root = path.join(bundle, 'rootfs');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(path.join(root, 'app', 'lib'), { recursive: true });
  await writeFile(
    path.join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/bin/false\n',
  );
  await writeFile(path.join(root, 'app', 'server.js'), 'console.log("hi")\n');
  await writeFile(path.join(root, 'app', 'lib', 'old.js'), 'old\n');
  await symlink('server.js', path.join(root, 'app', 'index.js'));
  await runCommand('umoci', ['repack', '--image', `${layout}:app`, bundle]);
  // Second layer: a deletion (whiteout) and a new file. umoci diffs against the image a bundle
  // was unpacked from, so the second layer needs a fresh unpack.
  const bundle2 = path.join(work, 'bundle2');
  const root2 = path.join(bundle2, 'rootfs');
  await runCommand('umoci', ['unpack', '--rootless', '--image', `${layout}:app`, bundle2]);
  await unlink(path.join(root2, 'app', 'lib', 'old.js'));
  await writeFile(path.join(root2, 'app', 'lib', 'new.js'), 'new\n');
  await runCommand('umoci', ['repack', '--image', `${layout}:app`, bundle2]);
  await runCommand('umoci', [
    'config',
    '--image',
    `${layout}:app`,
    '--config.user',
    '10001',
    '--config.cmd',
    '/app/server.js',
  ]);
  await runCommand('skopeo', [
    'copy',
    '-q',
    `oci:${layout}:app`,
    `oci-archive:${path.join(work, 'app-oci.tar')}:app`,
  ]);
  await runCommand('skopeo', [
    'copy',
    '-q',
    `oci:${layout}:app`,
    `docker-archive:${path.join(work, 'app-docker.tar')}:example.com/app:1`,
  ]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the same image through every local source', () => {
  let reference: Seen;
  beforeAll(async () => {
    reference = await readLocal(`oci:${layout}:app`);
  });

  it('sees both layers, the whiteout applied', () => {
    expect(reference.diffIDs).toHaveLength(2);
    expect(reference.files).toContain('file app/lib/new.js 4');
    expect(reference.files.some((f) => f.includes('old.js'))).toBe(false);
    expect(reference.files).toContain('symlink app/index.js ');
    expect(reference.passwd).toContain('app:x:10001');
  });

  it.each([['oci-archive'], ['docker-archive']])('%s agrees with oci:', async (kind) => {
    const file = path.join(work, kind === 'oci-archive' ? 'app-oci.tar:app' : 'app-docker.tar');
    expect(await readLocal(`${kind}:${file}`)).toEqual(reference);
  });
});

describe.each<TestRegistryAuth>(['none', 'htpasswd', 'token'])(
  'docker:// from a registry with auth=%s',
  (auth) => {
    let registry: TestRegistry;
    let credentials: CredentialStore | undefined;
    beforeAll(async () => {
      registry = await startRegistry({ auth });
      let authFile: string | undefined;
      if (registry.username !== undefined && registry.password !== undefined) {
        authFile = path.join(work, `auth-${auth}.json`);
        await writeAuthFile(authFile, registry.host, registry.username, registry.password);
        credentials = createStaticCredentialStore(registry.host, {
          kind: 'basic',
          username: registry.username,
          password: registry.password,
        });
      }
      await pushLayoutTag(
        layout,
        'app',
        `${registry.host}/team/app:1.0`,
        authFile === undefined ? {} : { authFile },
      );
    }, 120_000);
    afterAll(async () => {
      await registry.stop();
    });

    it('agrees with oci: on config digest, diffIDs and merged files', async () => {
      const client = new RegistryClient(credentials ? { credentials } : {});
      const cache = new BlobCache({ dir: path.join(work, `cache-${auth}`) });
      const source = new RegistryImageSource(parseImageRef(`${registry.host}/team/app:1.0`), {
        client,
        cache,
      });
      const fromRegistry = await summarize(await source.open());
      await source.close();
      expect(fromRegistry).toEqual(await readLocal(`oci:${layout}:app`));
      if (auth === 'token') expect(registry.tokenIssuer?.requests.length).toBeGreaterThan(0);
    });
  },
);
