import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../testing/cli.js';
import {
  buildTestImages,
  layoutDescriptor,
  readLayoutBlob,
  runCommand,
  writeAuthFile,
} from '../../testing/oci-images.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import { requireCommand } from '../../testing/registry.js';

// Issue 9's acceptance with real clients against our registry with authentication on: skopeo,
// buildah and curl push and pull as users with roles, images built by umoci (and buildah)
// round-trip with identical digests, and portcullis sign/verify work against it, through the
// referrers API too. alice is a developer of team (pull, push), gus a guest (pull only).

const KEY_PASSWORD = `key-${randomBytes(9).toString('base64url')}`;

let registry: TestPortcullisRegistry;
// buildah derives names from paths, which must be valid references: lower case, no dot-dirs.
const work = path.join(os.tmpdir(), `portcullis-real-clients-${randomBytes(6).toString('hex')}`);
const layout = path.join(work, 'layout');

beforeAll(async () => {
  for (const [cmd, pkg] of [
    ['skopeo', 'skopeo'],
    ['buildah', 'buildah'],
    ['umoci', 'umoci'],
    ['curl', 'curl'],
  ] as const)
    requireCommand(cmd, pkg);
  await mkdir(work, { recursive: true });
  registry = await startPortcullisRegistry({
    projects: [{ name: 'team' }],
    users: { alice: { roles: { team: 'developer' } }, gus: { roles: { team: 'guest' } } },
  });
  await buildTestImages(
    layout,
    [
      { tag: 'v1', files: { 'etc/hello.txt': 'hello registry\n', 'bin/data': randomBytes(200 * 1024) } },
      { tag: 'v2', files: { 'etc/other.txt': randomBytes(1024) } },
    ],
    work,
  );
}, 120_000);

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * Runs a client that takes credentials on its command line (`--dest-creds`, `--creds`: the
 * flags issue 9 names). The password is the test registry's throwaway one, and it is cut out of
 * any error before the error is shown.
 */
async function runWithCreds(cmd: string, args: readonly string[], user: string): Promise<string> {
  const secret = registry.password(user);
  try {
    return await runCommand(cmd, args);
  } catch (err) {
    throw new Error((err as Error).message.split(secret).join('<password>'));
  }
}

/** `--dest-creds USER:PASSWORD`-style value for the user. */
function creds(user: string): string {
  return `${user}:${registry.password(user)}`;
}

/** The digest of the manifest an image reference resolves to, as skopeo reads it raw. */
async function remoteDigest(image: string, authFile: string): Promise<string> {
  const raw = await runCommand('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    '--authfile',
    authFile,
    `docker://${image}`,
  ]);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The layer and config digests of a layout tag's manifest. */
async function blobDigests(dir: string, tag: string): Promise<string[]> {
  const d = await layoutDescriptor(dir, tag);
  const m = JSON.parse((await readLayoutBlob(dir, d.digest)).toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  return [m.config.digest, ...m.layers.map((l) => l.digest)];
}

/** How a client authenticates: a user's credentials as flags or in an auth file, or none. */
type ClientAuth = { readonly user: string; readonly via: 'creds' | 'authfile' } | 'anonymous';

/**
 * `skopeo copy -q` between an OCI layout and our registry (plain HTTP), authenticating on the
 * registry's side: `--dest-*` flags for a push, `--src-*` for a pull.
 */
async function skopeoCopy(from: string, to: string, auth: ClientAuth): Promise<void> {
  const side = to.startsWith('docker://') ? 'dest' : 'src';
  const flags = [`--${side}-tls-verify=false`];
  if (auth === 'anonymous') flags.push(`--${side}-no-creds`);
  else if (auth.via === 'creds') flags.push(`--${side}-creds`, creds(auth.user));
  // A pull takes the general --authfile (both sides), a push --dest-authfile.
  else flags.push(side === 'dest' ? '--dest-authfile' : '--authfile', await registry.authFile(auth.user));
  const args = ['copy', '-q', ...flags, from, to];
  await (auth === 'anonymous' ? runCommand('skopeo', args) : runWithCreds('skopeo', args, auth.user));
}

describe('skopeo copy', () => {
  it('pushes with --dest-creds and pulls with --src-creds, digests identical; a guest may pull but not push; no credentials, nothing', async () => {
    const pushed = await layoutDescriptor(layout, 'v1');
    const image = `docker://${registry.host}/team/skopeo`;
    await skopeoCopy(`oci:${layout}:v1`, `${image}:v1`, { user: 'alice', via: 'creds' });
    const out = path.join(work, 'pulled-creds');
    await skopeoCopy(`${image}:v1`, `oci:${out}:v1`, { user: 'gus', via: 'creds' });
    expect(await layoutDescriptor(out, 'v1')).toEqual(pushed);
    expect(await blobDigests(out, 'v1')).toEqual(await blobDigests(layout, 'v1'));
    for (const digest of await blobDigests(out, 'v1'))
      expect((await readLayoutBlob(out, digest)).equals(await readLayoutBlob(layout, digest))).toBe(true);

    await expect(
      skopeoCopy(`oci:${layout}:v2`, `${image}:v2`, { user: 'gus', via: 'creds' }),
    ).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await expect(
      skopeoCopy(`${image}:v1`, `oci:${path.join(work, 'pulled-anonymous')}:v1`, 'anonymous'),
    ).rejects.toThrow(/unauthorized|authentication required/i);
    // The refused push left no tag behind.
    const tags = await runWithCreds(
      'skopeo',
      ['list-tags', '--tls-verify=false', '--creds', creds('gus'), image],
      'gus',
    );
    expect((JSON.parse(tags) as { Tags: string[] }).Tags).toEqual(['v1']);
  });

  it('pushes and pulls with --authfile, digests identical', async () => {
    const pushed = await layoutDescriptor(layout, 'v2');
    const image = `${registry.host}/team/authfile:v2`;
    await skopeoCopy(`oci:${layout}:v2`, `docker://${image}`, { user: 'alice', via: 'authfile' });
    expect(await remoteDigest(image, await registry.authFile('gus'))).toBe(pushed.digest);
    const out = path.join(work, 'pulled-authfile');
    await skopeoCopy(`docker://${image}`, `oci:${out}:v2`, { user: 'gus', via: 'authfile' });
    expect(await layoutDescriptor(out, 'v2')).toEqual(pushed);
    expect(await blobDigests(out, 'v2')).toEqual(await blobDigests(layout, 'v2'));
  });
});

describe('buildah push', () => {
  /** buildah with private vfs storage under `work` (see TEST-INFRA.md). */
  function buildahArgs(args: readonly string[]): string[] {
    return [
      '--root',
      path.join(work, 'buildah-root'),
      '--runroot',
      path.join(work, 'buildah-runroot'),
      '--storage-driver',
      'vfs',
      ...args,
    ];
  }

  it('pushes an image it built on an umoci base with --creds and with --authfile; skopeo pulls back the pushed digest', async () => {
    const ctx = path.join(work, 'buildah-ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(path.join(ctx, 'hello.txt'), randomBytes(4096));
    await writeFile(path.join(ctx, 'Dockerfile'), `FROM oci:${layout}:v1\nCOPY hello.txt /srv/hello.txt\n`);
    await runCommand(
      'buildah',
      buildahArgs(['bud', '--isolation', 'chroot', '-q', '-t', 'localhost/tiny:v1', ctx]),
    );

    const viaCreds = path.join(work, 'buildah-digest-creds');
    await runWithCreds(
      'buildah',
      buildahArgs([
        'push',
        '-q',
        '--tls-verify=false',
        '--creds',
        creds('alice'),
        '--digestfile',
        viaCreds,
        'localhost/tiny:v1',
        `docker://${registry.host}/team/buildah:creds`,
      ]),
      'alice',
    );
    const viaAuthFile = path.join(work, 'buildah-digest-authfile');
    await runCommand(
      'buildah',
      buildahArgs([
        'push',
        '-q',
        '--tls-verify=false',
        '--authfile',
        await registry.authFile('alice'),
        '--digestfile',
        viaAuthFile,
        'localhost/tiny:v1',
        `docker://${registry.host}/team/buildah:authfile`,
      ]),
    );
    const gusAuth = await registry.authFile('gus');
    for (const [tag, file] of [
      ['creds', viaCreds],
      ['authfile', viaAuthFile],
    ] as const) {
      const digest = (await readFile(file, 'utf8')).trim();
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await remoteDigest(`${registry.host}/team/buildah:${tag}`, gusAuth)).toBe(digest);
      const out = path.join(work, `pulled-buildah-${tag}`);
      await skopeoCopy(`docker://${registry.host}/team/buildah:${tag}`, `oci:${out}:${tag}`, {
        user: 'gus',
        via: 'authfile',
      });
      const pulled = await layoutDescriptor(out, tag);
      expect(pulled.digest).toBe(digest);
      // The umoci base's layer is under buildah's, byte for byte.
      const [, ...layers] = await blobDigests(out, tag);
      const [, ...baseLayers] = await blobDigests(layout, 'v1');
      expect(layers.slice(0, baseLayers.length)).toEqual(baseLayers);
      expect(layers).toHaveLength(baseLayers.length + 1);
    }
  });
});

type CurlAnswer = { status: number; headers: Record<string, string>; body: Buffer };

describe('curl', () => {
  let curlConfig: string;

  /** One curl request; credentials (if any) come from a 0600 config file, never argv. */
  async function curl(args: readonly string[], opts: { readonly auth?: boolean } = {}): Promise<CurlAnswer> {
    const id = randomBytes(4).toString('hex');
    const headersFile = path.join(work, `curl-${id}.headers`);
    const bodyFile = path.join(work, `curl-${id}.body`);
    const status = await runCommand('curl', [
      '-sS',
      ...(opts.auth === false ? [] : ['--config', curlConfig]),
      '--dump-header',
      headersFile,
      '--output',
      bodyFile,
      '--write-out',
      '%{http_code}',
      ...args,
    ]);
    const headers: Record<string, string> = {};
    for (const line of (await readFile(headersFile, 'utf8')).split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = await readFile(bodyFile);
    await rm(headersFile);
    await rm(bodyFile);
    return { status: Number(status), headers, body };
  }

  beforeAll(async () => {
    curlConfig = path.join(work, 'curlrc');
    // curl's config syntax: a quoted value with backslash escapes (the password has none).
    await writeFile(curlConfig, `user = "alice:${registry.password('alice')}"\n`, { mode: 0o600 });
  });

  it('pings, uploads a blob monolithically, pushes a manifest, reads it with Accept headers, a blob with Range, and lists tags', async () => {
    const v2 = `${registry.url}/v2`;
    const anonymous = await curl([`${v2}/`], { auth: false });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+\/token",service="/);
    const ping = await curl([`${v2}/`]);
    expect(ping.status).toBe(200);
    expect(ping.headers['docker-distribution-api-version']).toBe('registry/2.0');

    const layer = randomBytes(64 * 1024);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: {} }));
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    for (const [name, bytes] of [
      ['layer', layer],
      ['config', config],
    ] as const) {
      const file = path.join(work, `curl-${name}`);
      await writeFile(file, bytes);
      const up = await curl([
        '-X',
        'POST',
        '-H',
        'Content-Type: application/octet-stream',
        '--data-binary',
        `@${file}`,
        `${v2}/team/curl/blobs/uploads/?digest=${sha(bytes)}`,
      ]);
      expect(up.status).toBe(201);
      expect(up.headers['docker-content-digest']).toBe(sha(bytes));
      expect(up.headers['location']).toContain(`/v2/team/curl/blobs/${sha(bytes)}`);
    }
    // A monolithic upload whose bytes do not match the digest is refused and stores nothing.
    const wrong = path.join(work, 'curl-wrong');
    await writeFile(wrong, 'not the layer');
    const bad = await curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      `@${wrong}`,
      `${v2}/team/curl/blobs/uploads/?digest=${sha(Buffer.from('something else'))}`,
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.toString('utf8')).toContain('DIGEST_INVALID');

    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha(config),
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length },
        ],
      }),
    );
    const manifestFile = path.join(work, 'curl-manifest.json');
    await writeFile(manifestFile, manifest);
    const put = await curl([
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/vnd.oci.image.manifest.v1+json',
      '--data-binary',
      `@${manifestFile}`,
      `${v2}/team/curl/manifests/v1`,
    ]);
    expect(put.status).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(sha(manifest));

    const accepted = await curl([
      '-H',
      'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      `${v2}/team/curl/manifests/v1`,
    ]);
    expect(accepted.status).toBe(200);
    expect(accepted.headers['content-type']).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(accepted.headers['docker-content-digest']).toBe(sha(manifest));
    expect(accepted.body.equals(manifest)).toBe(true);
    const byDigest = await curl([
      '-H',
      'Accept: application/vnd.oci.image.manifest.v1+json',
      `${v2}/team/curl/manifests/${sha(manifest)}`,
    ]);
    expect(byDigest.body.equals(manifest)).toBe(true);
    // Accept naming only other manifest types: the stored OCI manifest is not offered.
    const otherTypes = await curl([
      '-H',
      'Accept: application/vnd.docker.distribution.manifest.v2+json',
      `${v2}/team/curl/manifests/v1`,
    ]);
    expect(otherTypes.status).toBe(404);
    const head = await curl(['--head', `${v2}/team/curl/manifests/v1`]);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(manifest.length));

    const range = await curl(['-H', 'Range: bytes=1000-1999', `${v2}/team/curl/blobs/${sha(layer)}`]);
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 1000-1999/${layer.length}`);
    expect(range.body.equals(layer.subarray(1000, 2000))).toBe(true);
    const suffix = await curl(['-H', 'Range: bytes=-100', `${v2}/team/curl/blobs/${sha(layer)}`]);
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(layer.subarray(layer.length - 100))).toBe(true);
    const whole = await curl([`${v2}/team/curl/blobs/${sha(layer)}`]);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(layer)).toBe(true);
    const beyond = await curl(['-H', `Range: bytes=${layer.length}-`, `${v2}/team/curl/blobs/${sha(layer)}`]);
    expect(beyond.status).toBe(416);

    const tags = await curl([`${v2}/team/curl/tags/list`]);
    expect(tags.status).toBe(200);
    expect(JSON.parse(tags.body.toString('utf8'))).toEqual({ name: 'team/curl', tags: ['v1'] });
    const noCreds = await curl([`${v2}/team/curl/tags/list`], { auth: false });
    expect(noCreds.status).toBe(401);
    expect(noCreds.headers['www-authenticate']).toContain('scope="repository:team/curl:pull"');
  });
});

describe('portcullis sign and verify', () => {
  let dockerConfig: string;
  let image: string;
  let digest: string;

  beforeAll(async () => {
    await generateKeyPair('cosign');
    // Credentials reach sign and verify through Docker's config.json ($DOCKER_CONFIG).
    dockerConfig = path.join(work, 'docker-alice');
    await mkdir(dockerConfig, { recursive: true });
    await writeAuthFile(
      path.join(dockerConfig, 'config.json'),
      registry.host,
      'alice',
      registry.password('alice'),
    );
    await skopeoCopy(`oci:${layout}:v1`, `docker://${registry.host}/team/signed:v1`, {
      user: 'alice',
      via: 'authfile',
    });
    image = `${registry.host}/team/signed:v1`;
    digest = (await layoutDescriptor(layout, 'v1')).digest;
  });

  /** `portcullis generate-key-pair` into `work`: PREFIX.key (encrypted) and PREFIX.pub. */
  async function generateKeyPair(prefix: string): Promise<void> {
    const r = await runCliCaptured(['generate-key-pair', '--output-key-prefix', prefix], work, {
      env: { PORTCULLIS_PASSWORD: KEY_PASSWORD },
    });
    expect(r.code).toBe(0);
  }

  const env = () => ({ DOCKER_CONFIG: dockerConfig, PORTCULLIS_PASSWORD: KEY_PASSWORD });

  it('signs into the sha256-<hex>.sig tag and verifies it, and refuses the signature for another key', async () => {
    const signed = await runCliCaptured(
      ['sign', '--key', 'cosign.key', `${registry.host}/team/signed@${digest}`],
      work,
      {
        env: env(),
      },
    );
    expect(signed.stderr).toContain(`Pushed the signature to ${registry.host}/team/signed:sha256-`);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toBe(`${registry.host}/team/signed@${digest}\n`);

    const verified = await runCliCaptured(
      ['verify', '--key', 'cosign.pub', '--format', 'json', image],
      work,
      {
        env: env(),
      },
    );
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout) as {
      digest: string;
      verified: { source: string; format: string }[];
    };
    expect(report.digest).toBe(digest);
    expect(report.verified.map((v) => v.format)).toEqual(['simple-signing']);

    await generateKeyPair('other');
    const wrongKey = await runCliCaptured(['verify', '--key', 'other.pub', image], work, { env: env() });
    expect(wrongKey.code).toBe(1);
    // Without credentials the registry refuses, and verify says so (exit 4: authentication).
    const anonymous = await runCliCaptured(['verify', '--key', 'cosign.pub', image], work, {
      env: { DOCKER_CONFIG: path.join(work, 'no-docker-config') },
    });
    expect(anonymous.code).toBe(4);
  });

  it('--bundle attaches an OCI 1.1 referrer that the referrers API lists and verify finds through it', async () => {
    const bundled = `${registry.host}/team/bundled:v1`;
    await skopeoCopy(`oci:${layout}:v2`, `docker://${bundled}`, { user: 'alice', via: 'authfile' });
    const imageDigest = (await layoutDescriptor(layout, 'v2')).digest;
    const requests: string[] = [];
    const record = (req: { method?: string | undefined; url?: string | undefined }): void => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    };
    registry.server.app.server.on('request', record);
    try {
      const signed = await runCliCaptured(
        ['sign', '--key', 'cosign.key', '--bundle', `${registry.host}/team/bundled@${imageDigest}`],
        work,
        { env: env() },
      );
      expect(signed.stderr).toMatch(/^Attached a Sigstore bundle as referrer \S+@sha256:[0-9a-f]{64}\n$/);
      expect(signed.code).toBe(0);
      const referrer = /@(sha256:[0-9a-f]{64})/.exec(signed.stderr)?.[1] ?? '';

      // The referrers endpoint lists it, for a guest too (pull access).
      const res = await fetch(`${registry.url}/v2/team/bundled/referrers/${imageDigest}`, {
        headers: { authorization: registry.basic('gus') },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
      const index = (await res.json()) as { manifests: { digest: string; artifactType?: string }[] };
      expect(index.manifests).toEqual([
        expect.objectContaining({
          digest: referrer,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        }),
      ]);

      requests.length = 0;
      const verified = await runCliCaptured(
        ['verify', '--key', 'cosign.pub', '--format', 'json', bundled],
        work,
        {
          env: env(),
        },
      );
      expect(verified.code).toBe(0);
      const report = JSON.parse(verified.stdout) as { verified: { source: string; format: string }[] };
      expect(report.verified).toEqual([
        expect.objectContaining({ source: `referrer ${referrer}`, format: 'sigstore-bundle' }),
      ]);
      // It found the bundle through GET /v2/<name>/referrers/<digest>, not a fallback tag.
      expect(requests).toContain(`GET /v2/team/bundled/referrers/${imageDigest}`);
      // (The referrers tag schema's fallback would read the tag sha256-<hex>.)
      const fallbackTag = `/manifests/sha256-${imageDigest.slice('sha256:'.length)}`;
      expect(requests.filter((r) => r.endsWith(fallbackTag))).toEqual([]);
    } finally {
      registry.server.app.server.off('request', record);
    }
    // No referrers fallback tag was written: the tags are the image's own.
    const tags = await fetch(`${registry.url}/v2/team/bundled/tags/list`, {
      headers: { authorization: registry.basic('gus') },
    });
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1']);

    // A guest (pull only) verifies it too; signing needs push, so the guest may not sign.
    const guestConfig = path.join(work, 'docker-gus');
    await mkdir(guestConfig, { recursive: true });
    await writeAuthFile(
      path.join(guestConfig, 'config.json'),
      registry.host,
      'gus',
      registry.password('gus'),
    );
    const asGuest = { DOCKER_CONFIG: guestConfig, PORTCULLIS_PASSWORD: KEY_PASSWORD };
    const guestVerify = await runCliCaptured(['verify', '--key', 'cosign.pub', bundled], work, {
      env: asGuest,
    });
    expect(guestVerify.code).toBe(0);
    const guestSign = await runCliCaptured(['sign', '--key', 'cosign.key', '--bundle', bundled], work, {
      env: asGuest,
    });
    // Exit 4: authentication; the registry granted gus no push.
    expect(guestSign.code).toBe(4);
    expect(guestSign.stderr).toContain('did not grant repository:team/bundled:pull,push');
  });
});
