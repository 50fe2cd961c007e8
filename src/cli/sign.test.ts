import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../imageref/index.js';
import { RegistryClient, type ImageManifest } from '../oci/index.js';
import {
  COSIGN_ANNOTATIONS,
  parseSignatureManifest,
  readPublicKeyFile,
  resolveImageDigest,
  signatureConfigBlob,
  signatureTag,
  verifyImage,
  writeKeyPairFiles,
} from '../signing/index.js';
import { runCliCaptured, runCommandCaptured } from '../testing/cli.js';
import { buildTestImages, pushLayoutTag, writeAuthFile } from '../testing/oci-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { runSign } from './commands/sign.js';
import { runVerify } from './commands/verify.js';

// portcullis sign against a real docker-registry (and one with Basic auth), images pushed by
// skopeo; what it stores is read back with the library and checked with the public key.

let registry: TestRegistry;
let client: RegistryClient;
let dir: string;
let layout: string;

type Run = {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly warnings: readonly string[];
};

async function run(
  command: typeof runSign,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  stdin = '',
): Promise<Run> {
  const r = await runCommandCaptured(command, argv, { cwd: dir, env: { HOME: dir, ...env }, stdin });
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    warnings: r.logger.entries.filter((e) => e.level === 'warn').map((e) => e.msg),
  };
}

const ALICE = { PORTCULLIS_PASSWORD: 'alice-pw' };

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ retryDelayMs: { base: 10, max: 2000 } });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-sign-cli-'));
  layout = path.join(dir, 'layout');
  await buildTestImages(layout, [{ tag: 'one', files: { 'etc/one': randomBytes(256) } }], dir);
  await writeKeyPairFiles(path.join(dir, 'alice'), 'alice-pw');
}, 120_000);

afterAll(async () => {
  client.close();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

async function push(repoTag: string, reg: TestRegistry = registry, authFile?: string): Promise<string> {
  const image = `${reg.host}/${repoTag}`;
  await pushLayoutTag(layout, 'one', image, authFile === undefined ? {} : { authFile });
  return image;
}

async function sigManifest(image: string, digest: string): Promise<ImageManifest> {
  const ref = parseImageRef(image);
  const m = await client.getManifest({ ...ref, tag: signatureTag(digest) });
  return parseSignatureManifest(m.bytes);
}

describe('portcullis sign', () => {
  it('signs a tag: warns that the digest it resolves to now is signed, prints REPO@DIGEST, stores cosign’s format', async () => {
    const image = await push('app:v1');
    const digest = await resolveImageDigest(client, parseImageRef(image));
    const r = await run(runSign, ['--key', 'alice.key', image], ALICE);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${registry.host}/app@${digest}\n`);
    expect(r.warnings).toEqual([
      expect.stringContaining(`signing by tag: ${image} resolved to ${digest} now`),
    ]);
    expect(r.stderr).toBe(
      `Pushed the signature to ${registry.host}/app:${signatureTag(digest)} (1 signature(s) there now)\n`,
    );

    const manifest = await sigManifest(image, digest);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.dev.cosign.simplesigning.v1+json',
    ]);
    expect(manifest.layers[0]?.annotations?.[COSIGN_ANNOTATIONS.signature]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const config = await client.fetchBlob(parseImageRef(image), manifest.config, 4096);
    expect(config.equals(signatureConfigBlob(manifest.layers.map((l) => l.digest)))).toBe(true);
    const pub = await readPublicKeyFile(path.join(dir, 'alice.pub'));
    expect((await verifyImage(client, parseImageRef(image), pub.publicKey)).verified).toBe(true);
  });

  it('signing by digest does not warn; signing again with the same key and claims adds nothing, new claims add a layer', async () => {
    const image = await push('again:v1');
    const digest = await resolveImageDigest(client, parseImageRef(image));
    const byDigest = `${registry.host}/again@${digest}`;
    const first = await run(runSign, ['--key', 'alice.key', byDigest], ALICE);
    expect(first.warnings).toEqual([]);
    expect(first.stdout).toBe(`${byDigest}\n`);
    const second = await run(runSign, ['--key', 'alice.key', byDigest], ALICE);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('already holds a signature of this payload by this key; nothing pushed');
    expect((await sigManifest(image, digest)).layers).toHaveLength(1);
    await run(runSign, ['--key', 'alice.key', '-a', 'env=prod', byDigest], ALICE);
    const layers = (await sigManifest(image, digest)).layers;
    expect(layers).toHaveLength(2);
  });

  it('reads the password from COSIGN_PASSWORD too, never prints it, and a wrong one pushes nothing', async () => {
    const image = await push('pw:v1');
    const digest = await resolveImageDigest(client, parseImageRef(image));
    await expect(
      run(runSign, ['--key', 'alice.key', image], { PORTCULLIS_PASSWORD: 'not-alice' }),
    ).rejects.toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
    expect((await client.listTags(parseImageRef(image))).includes(signatureTag(digest))).toBe(false);
    // No variable and stdin not a terminal: refused with what to do, not a hang.
    await expect(run(runSign, ['--key', 'alice.key', image], {}, 'alice-pw\n')).rejects.toMatchObject({
      code: 'KEY_PASSWORD_MISSING',
    });
    const r = await run(runSign, ['--key', 'alice.key', image], { COSIGN_PASSWORD: 'alice-pw' });
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}${r.warnings.join('')}`).not.toContain('alice-pw');
  });

  it('refuses a password given as an argument before anything runs', async () => {
    const r = await runCliCaptured(['sign', '--key', 'alice.key', '--password', 'alice-pw', 'x/y'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('passwords are not accepted as arguments');
    expect(r.stderr).not.toContain('alice-pw');
  });

  it('signs with an unencrypted PKCS#8 key without asking for a password; Ed25519 is refused (cosign signs Ed25519ph)', async () => {
    const image = await push('plain:v1');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(path.join(dir, 'plain.key'), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = await run(runSign, ['--key', 'plain.key', image]);
    expect(r.code).toBe(0);
    expect((await verifyImage(client, parseImageRef(image), ec.publicKey)).verified).toBe(true);

    const ed = generateKeyPairSync('ed25519');
    await writeFile(path.join(dir, 'ed.key'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(run(runSign, ['--key', 'ed.key', image])).rejects.toMatchObject({
      code: 'COSIGN_PRIVATE_KEY_INVALID',
    });
  });

  it('--bundle attaches a Sigstore bundle referrer and no .sig tag', async () => {
    const image = await push('bundle:v1');
    const ref = parseImageRef(image);
    const digest = await resolveImageDigest(client, ref);
    const r = await run(runSign, ['--key', 'alice.key', '--bundle', '-a', 'env=prod', image], ALICE);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${registry.host}/bundle@${digest}\n`);
    expect(r.stderr).toMatch(
      new RegExp(`^Attached a Sigstore bundle as referrer ${registry.host}/bundle@sha256:[0-9a-f]{64}\\n$`),
    );
    expect(r.warnings).toEqual([expect.stringContaining('signing by tag')]);
    expect((await client.listTags(ref)).includes(signatureTag(digest))).toBe(false);
    const pub = await readPublicKeyFile(path.join(dir, 'alice.pub'));
    const v = await verifyImage(client, ref, pub.publicKey, { annotations: { env: 'prod' } });
    expect(v.bundleResults.map((b) => b.ok)).toEqual([true]);
    expect(v.fetched.bundleReferrers[0]?.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  it('stores signatures in another repository with --signature-repository or COSIGN_REPOSITORY', async () => {
    const image = await push('elsewhere/app:v1');
    const ref = parseImageRef(image);
    const digest = await resolveImageDigest(client, ref);
    const sigs = `${registry.host}/elsewhere/signatures`;
    const r = await run(runSign, ['--key', 'alice.key', '--signature-repository', sigs, image], ALICE);
    expect(r.stderr).toContain(`Pushed the signature to ${sigs}:${signatureTag(digest)}`);
    expect((await client.listTags(ref)).includes(signatureTag(digest))).toBe(false);
    // verify finds it only when told where.
    expect((await run(runVerify, ['--key', 'alice.pub', image])).code).toBe(1);
    expect((await run(runVerify, ['--key', 'alice.pub', image], { COSIGN_REPOSITORY: sigs })).code).toBe(0);

    const other = await push('elsewhere/two:v1');
    const viaEnv = await run(runSign, ['--key', 'alice.key', other], { ...ALICE, COSIGN_REPOSITORY: sigs });
    expect(viaEnv.stderr).toContain(`Pushed the signature to ${sigs}:`);
    expect(viaEnv.stderr).toContain('(2 signature(s) there now)');
  });

  it('authenticates with --username and --password-stdin', async () => {
    const secured = await startRegistry({ auth: 'htpasswd' });
    try {
      const authFile = path.join(dir, 'auth.json');
      await writeAuthFile(authFile, secured.host, secured.username ?? '', secured.password ?? '');
      const image = await push('private:v1', secured, authFile);
      await expect(run(runSign, ['--key', 'alice.key', image], ALICE)).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
      const r = await run(
        runSign,
        ['--key', 'alice.key', '--username', secured.username ?? '', '--password-stdin', image],
        ALICE,
        `${secured.password ?? ''}\n`,
      );
      expect(r.code).toBe(0);
      const v = await run(
        runVerify,
        ['--key', 'alice.pub', '--username', secured.username ?? '', '--password-stdin', image],
        {},
        `${secured.password ?? ''}\n`,
      );
      expect(v.code).toBe(0);
    } finally {
      await secured.stop();
    }
  });

  it('refuses bad invocations, missing key files and missing images with their error codes', async () => {
    const image = `${registry.host}/app:v1`;
    const cases: { args: string[]; code: string; message: RegExp }[] = [
      { args: [image], code: 'USAGE', message: /needs --key FILE/ },
      { args: ['--key', 'alice.key'], code: 'USAGE', message: /exactly one image/ },
      { args: ['--key', 'gcpkms://projects/x', image], code: 'USAGE', message: /only key files/ },
      { args: ['--key', 'alice.key', `oci:${layout}:one`], code: 'USAGE', message: /not oci:/ },
      {
        args: ['--key', 'alice.key', '--bundle', '--signature-repository', `${registry.host}/s`, image],
        code: 'USAGE',
        message: /cannot go to another repository/,
      },
      {
        args: ['--key', 'alice.key', '-a', 'a=b=c', image],
        code: 'COSIGN_ANNOTATION_INVALID',
        message: /one "="/,
      },
      { args: ['--key', 'missing.key', image], code: 'KEY_NOT_FOUND', message: /missing\.key/ },
      { args: ['--key', 'alice.key', `${registry.host}/nope:v1`], code: 'MANIFEST_UNKNOWN', message: /nope/ },
    ];
    for (const c of cases) {
      await expect(run(runSign, c.args, ALICE)).rejects.toMatchObject({ code: c.code, message: c.message });
    }
  });

  it('help names the formats and where the password comes from', async () => {
    const r = await run(runSign, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sha256-<hex>.sig');
    expect(r.stdout).toContain('PORTCULLIS_PASSWORD');
  });
});
