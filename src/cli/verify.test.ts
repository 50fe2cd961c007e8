import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { digestOf } from '../core/index.js';
import { parseImageRef, type ImageRef } from '../imageref/index.js';
import { MediaType, RegistryClient } from '../oci/index.js';
import {
  COSIGN_ANNOTATIONS,
  buildSignatureManifest,
  parseSignatureManifest,
  resolveImageDigest,
  signatureTag,
  writeKeyPairFiles,
} from '../signing/index.js';
import { runCommandCaptured } from '../testing/cli.js';
import { sharedData } from '../testing/fixtures.js';
import { buildTestImages, pushLayoutTag } from '../testing/oci-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { runSign } from './commands/sign.js';
import { runVerify } from './commands/verify.js';

// portcullis verify against a real docker-registry, with images pushed by skopeo and signed by
// portcullis sign; the commands are called directly (run.ts registers them).

let registry: TestRegistry;
let client: RegistryClient;
let dir: string;
let layout: string;

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

async function run(command: typeof runSign, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  // HOME in the work dir: no Docker config of the user's is read.
  return runCommandCaptured(command, argv, { cwd: dir, env: { HOME: dir, ...env } });
}

const PASSWORDS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' } as const;

async function sign(who: keyof typeof PASSWORDS, image: string, ...more: string[]): Promise<Run> {
  const r = await run(runSign, ['--key', `${who}.key`, ...more, image], {
    PORTCULLIS_PASSWORD: PASSWORDS[who],
  });
  expect(r.code).toBe(0);
  return r;
}

function verify(args: string[]): Promise<Run> {
  return run(runVerify, args);
}

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ retryDelayMs: { base: 10, max: 2000 } });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-verify-cli-'));
  layout = path.join(dir, 'layout');
  await buildTestImages(
    layout,
    [
      { tag: 'one', files: { 'etc/one': randomBytes(256) } },
      { tag: 'two', files: { 'etc/two': randomBytes(256) } },
    ],
    dir,
  );
  for (const who of Object.keys(PASSWORDS) as (keyof typeof PASSWORDS)[]) {
    await writeKeyPairFiles(path.join(dir, who), PASSWORDS[who]);
  }
}, 120_000);

afterAll(async () => {
  client.close();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

async function push(from: 'one' | 'two', repoTag: string): Promise<string> {
  const image = `${registry.host}/${repoTag}`;
  await pushLayoutTag(layout, from, image);
  return image;
}

// The JSON report's documented shape (docs/signing.md), strict so that extra or renamed fields fail.
const reportSchema = z
  .object({
    schemaVersion: z.literal(1),
    image: z.string(),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    verifier: z.union([
      z
        .object({
          kind: z.literal('key'),
          key: z.string(),
          keyHint: z.string(),
          transparencyLog: z.boolean(),
        })
        .strict(),
      z.object({ kind: z.literal('keyless'), identity: z.string(), issuer: z.string() }).strict(),
    ]),
    verified: z.array(
      z
        .object({
          source: z.string(),
          format: z.enum(['simple-signing', 'sigstore-bundle']),
          signature: z.string().optional(),
          payload: z.unknown(),
        })
        .strict(),
    ),
    failed: z.array(z.object({ candidate: z.string(), code: z.string(), reason: z.string() }).strict()),
    problems: z.array(z.string()),
  })
  .strict();

function report(r: Run): z.infer<typeof reportSchema> {
  return reportSchema.parse(JSON.parse(r.stdout));
}

describe('portcullis verify', () => {
  it('verifies what portcullis sign made, printing the key and the payload', async () => {
    const image = await push('one', 'app:v1');
    const signed = await sign('alice', image);
    const digestRef = signed.stdout.trim();
    const digest = digestRef.split('@')[1] ?? '';

    const r = await verify(['--key', 'alice.pub', image]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^Verified sha256-[0-9a-f]{64}\\.sig layer 1 of ${digest} with key alice\\.pub \\(\\S+\\)$`),
    );
    const payload = JSON.parse(lines[1] ?? '') as {
      critical: { identity: Record<string, string>; image: Record<string, string>; type: string };
    };
    expect(payload.critical).toEqual({
      identity: { 'docker-reference': `${registry.host}/app` },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    });
    // By digest too, and the printed reference is what verify accepts.
    expect((await verify(['--key', 'alice.pub', digestRef])).code).toBe(0);
  });

  it('with two signers, each key verifies its own signature and not the other’s', async () => {
    const image = await push('one', 'multi:v1');
    await sign('alice', image, '-a', 'by=alice');
    await sign('bob', image, '-a', 'by=bob');

    for (const who of ['alice', 'bob'] as const) {
      const r = await verify(['--key', `${who}.pub`, '--format', 'json', image]);
      expect(r.code).toBe(0);
      const rep = report(r);
      expect(rep.verified).toHaveLength(1);
      expect(rep.verified[0]?.payload).toMatchObject({ optional: { by: who } });
      expect(rep.failed).toEqual([
        {
          candidate: expect.stringMatching(/\.sig layer [12]$/) as unknown,
          code: 'signature-invalid',
          reason: 'the signature does not verify with the given public key',
        },
      ]);
    }
    // A third key verifies neither: exit 1, each candidate's reason on stderr.
    const r = await verify(['--key', 'carol.pub', image]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const why = r.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(why).toEqual([
      expect.stringMatching(/\.sig layer 1: the signature does not verify .* \[signature-invalid\]$/),
      expect.stringMatching(/\.sig layer 2: the signature does not verify .* \[signature-invalid\]$/),
    ]);
  });

  it('after the tag is moved to another image, verification by tag fails naming the new digest', async () => {
    const image = await push('one', 'moving:v1');
    const signed = await sign('alice', image);
    await push('two', 'moving:v1');
    const now = await resolveImageDigest(client, parseImageRef(image));
    expect(signed.stdout).not.toContain(now);

    const r = await verify(['--key', 'alice.pub', image]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no signatures found for ${registry.host}/moving@${now}`);
    expect(r.stderr).toContain('if the tag was moved after signing');
    // The signed digest itself still verifies.
    expect((await verify(['--key', 'alice.pub', signed.stdout.trim()])).code).toBe(0);
  });

  it('a signature manifest copied to another image’s .sig tag fails with a message about the digest', async () => {
    const one = await push('one', 'replay:one');
    const two = await push('two', 'replay:two');
    const signed = await sign('alice', one);
    const oneDigest = signed.stdout.trim().split('@')[1] ?? '';
    const twoRef = parseImageRef(two);
    const twoDigest = await resolveImageDigest(client, twoRef);
    const m = await client.getManifest({ ...twoRef, tag: signatureTag(oneDigest) });
    await client.putManifest({ ...twoRef, tag: signatureTag(twoDigest) }, m.bytes, MediaType.ociManifest);

    const r = await verify(['--key', 'alice.pub', '--format', 'json', two]);
    expect(r.code).toBe(1);
    expect(report(r).failed).toEqual([
      {
        candidate: `${signatureTag(twoDigest)} layer 1`,
        code: 'digest-mismatch',
        reason: `the signature is for digest ${oneDigest}, but the image resolved to ${twoDigest}`,
      },
    ]);
  });

  it('a flipped byte in the signature annotation fails; restoring the manifest verifies again', async () => {
    const image = await push('one', 'tamper:v1');
    const ref = parseImageRef(image);
    const digest = (await sign('alice', image)).stdout.trim().split('@')[1] ?? '';
    const tag: ImageRef = { ...ref, tag: signatureTag(digest) };
    const original = await client.getManifest(tag);
    const manifest = parseSignatureManifest(original.bytes);
    const layer = manifest.layers[0];
    if (layer === undefined) throw new Error('no signature layer');
    const sig = Buffer.from(layer.annotations?.[COSIGN_ANNOTATIONS.signature] ?? '', 'base64');
    sig[sig.length - 5] = (sig[sig.length - 5] ?? 0) ^ 0x01;
    const tampered = buildSignatureManifest(
      [
        {
          ...layer,
          annotations: { ...layer.annotations, [COSIGN_ANNOTATIONS.signature]: sig.toString('base64') },
        },
      ],
      manifest,
    );
    await client.putManifest(tag, tampered.bytes, MediaType.ociManifest);

    const r = await verify(['--key', 'alice.pub', image]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `  ${signatureTag(digest)} layer 1: the signature does not verify with the given public key [signature-invalid]`,
    );
    await client.putManifest(tag, original.bytes, MediaType.ociManifest);
    expect((await verify(['--key', 'alice.pub', image])).code).toBe(0);
  });

  it('requires every -a annotation given', async () => {
    const image = await push('two', 'annotated:v1');
    await sign('alice', image, '-a', 'env=prod', '--annotations', 'team=core');
    expect((await verify(['--key', 'alice.pub', '-a', 'env=prod', image])).code).toBe(0);
    expect((await verify(['--key', 'alice.pub', '-a', 'env=prod', '-a', 'team=core', image])).code).toBe(0);
    const wrong = await verify(['--key', 'alice.pub', '-a', 'env=dev', image]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('annotation env is "prod", expected "dev" [annotation-mismatch]');
    const missing = await verify(['--key', 'alice.pub', '-a', 'owner=me', image]);
    expect(missing.stderr).toContain('the payload has no annotation owner [annotation-mismatch]');
    await expect(verify(['--key', 'alice.pub', '-a', 'novalue', image])).rejects.toMatchObject({
      code: 'COSIGN_ANNOTATION_INVALID',
    });
  });

  it('checks the docker-reference by default; --ignore-reference accepts a signature made for another repository', async () => {
    // The same image in two repositories; the signature made in one is copied to the other.
    const a = await push('one', 'origin/app:v1');
    const b = await push('one', 'mirror/app:v1');
    const digest = (await sign('alice', a)).stdout.trim().split('@')[1] ?? '';
    const aRef = parseImageRef(a);
    const bRef = parseImageRef(b);
    const tag = signatureTag(digest);
    const m = await client.getManifest({ ...aRef, tag });
    const manifest = parseSignatureManifest(m.bytes);
    for (const d of [manifest.config, ...manifest.layers]) {
      const blob = await client.fetchBlob(aRef, d, 1 << 20);
      await client.pushBlob(bRef, d, () => blob);
    }
    await client.putManifest({ ...bRef, tag }, m.bytes, MediaType.ociManifest);

    const strict = await verify(['--key', 'alice.pub', b]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(
      `the signature names repository ${registry.host}/origin/app, not ${registry.host}/mirror/app (--ignore-reference accepts it) [reference-mismatch]`,
    );
    expect((await verify(['--key', 'alice.pub', '--ignore-reference', b])).code).toBe(0);
  });

  it('says clearly when an image has no signatures at all (text and JSON)', async () => {
    const image = await push('two', 'unsigned:v1');
    const digest = await resolveImageDigest(client, parseImageRef(image));
    const r = await verify(['--key', 'alice.pub', image]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `portcullis verify: no signatures found for ${registry.host}/unsigned@${digest}: no ${signatureTag(digest)} manifest and no Sigstore bundle referrers`,
    );
    const j = await verify(['--key', 'alice.pub', '--format', 'json', image]);
    expect(j.code).toBe(1);
    expect(report(j)).toMatchObject({
      image: `${registry.host}/unsigned:v1`,
      digest,
      verified: [],
      failed: [],
    });
  });

  it('verifies a Sigstore bundle referrer made by sign --bundle, in the JSON report as a statement', async () => {
    const image = await push('two', 'bundled:v1');
    const signed = await sign('bob', image, '--bundle', '-a', 'env=prod');
    const digest = signed.stdout.trim().split('@')[1] ?? '';
    const r = await verify(['--key', 'bob.pub', '--format', 'json', '-a', 'env=prod', image]);
    expect(r.code).toBe(0);
    const rep = report(r);
    expect(rep.verifier).toMatchObject({ kind: 'key', key: 'bob.pub', transparencyLog: false });
    expect(rep.verified).toEqual([
      {
        source: expect.stringMatching(/^referrer sha256:[0-9a-f]{64}$/) as unknown,
        format: 'sigstore-bundle',
        payload: {
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ digest: { sha256: digest.slice('sha256:'.length) }, annotations: { env: 'prod' } }],
          predicateType: 'https://sigstore.dev/cosign/sign/v1',
          predicate: {},
        },
      },
    ]);
    const other = await verify(['--key', 'alice.pub', image]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/referrer sha256:[0-9a-f]{64}: .*\[signature-invalid\]/);
  });

  it('with --trusted-root, a key signature without a transparency-log proof fails, as in cosign without --insecure-ignore-tlog', async () => {
    const image = await push('one', 'tlog:v1');
    await sign('alice', image);
    const root = sharedData('signing', 'cosign-trusted_root_pgi.json');
    const r = await verify(['--key', 'alice.pub', '--trusted-root', root, '--format', 'json', image]);
    expect(r.code).toBe(1);
    const rep = report(r);
    expect(rep.verifier).toMatchObject({ kind: 'key', transparencyLog: true });
    expect(rep.failed.map((f) => f.code)).toEqual(['bundle-unsupported']);
  });

  it('keyless: the real connaisseur keyless signature passes the identity checks and fails on the digest; a stranger’s identity fails', async () => {
    const image = await push('one', 'keyless:v1');
    const ref = parseImageRef(image);
    const digest = await resolveImageDigest(client, ref);
    const data = sharedData('signing', 'connaisseur-cosign-testimage');
    const hex = '31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee';
    const upstream = parseSignatureManifest(readFileSync(`${data}/manifests/sha256-${hex}.sig.json`));
    const layer = upstream.layers[0];
    if (layer === undefined) throw new Error('no layer');
    const payload = readFileSync(`${data}/blobs/${layer.digest.replace(':', '_')}.json`);
    const config = readFileSync(
      `${data}/blobs/RECONSTRUCTED_${upstream.config.digest.replace(':', '_')}.config.json`,
    );
    expect(digestOf(payload)).toBe(layer.digest);
    await client.pushBlob(ref, layer, () => payload);
    await client.pushBlob(ref, upstream.config, () => config);
    await client.putManifest(
      { ...ref, tag: signatureTag(digest) },
      buildSignatureManifest(upstream.layers, upstream).bytes,
      MediaType.ociManifest,
    );
    const keyless = (identity: string) => [
      '--trusted-root',
      sharedData('signing', 'cosign-trusted_root_pgi.json'),
      '--certificate-identity',
      identity,
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      '--format',
      'json',
      image,
    ];
    const r = await verify(keyless('philipp.belitz@securesystems.de'));
    expect(r.code).toBe(1);
    const rep = report(r);
    expect(rep.verifier).toEqual({
      kind: 'keyless',
      identity: 'philipp.belitz@securesystems.de',
      issuer: 'https://github.com/login/oauth',
    });
    expect(rep.failed.map((f) => f.code)).toEqual(['digest-mismatch']);
    expect(rep.failed[0]?.reason).toContain(`but the image resolved to ${digest}`);
    const stranger = report(await verify(keyless('mallory@example.com')));
    expect(stranger.failed.map((f) => f.code)).toEqual(['identity-mismatch']);
  });

  it('refuses incomplete or conflicting verifier flags', async () => {
    const image = `${registry.host}/app:v1`;
    const cases: { args: string[]; message: RegExp }[] = [
      { args: [image], message: /needs --key FILE, or for keyless/ },
      { args: ['--certificate-identity', 'a@b', image], message: /needs --key FILE, or for keyless/ },
      {
        args: ['--key', 'alice.pub', '--certificate-identity', 'a@b', image],
        message: /exclude each other/,
      },
      { args: ['--key', 'awskms://alias/x', image], message: /only key files/ },
      { args: ['--key', 'alice.pub', '--format', 'yaml', image], message: /expected text or json/ },
      { args: ['--key', 'alice.pub'], message: /exactly one image/ },
      { args: ['--key', 'alice.pub', `oci:${layout}:one`], message: /images in a registry, not oci:/ },
    ];
    for (const c of cases) {
      await expect(verify(c.args)).rejects.toMatchObject({ code: 'USAGE', message: c.message });
    }
    // A private key is not a verification key.
    await expect(verify(['--key', 'alice.key', image])).rejects.toMatchObject({ code: 'KEY_INVALID' });
  });
});
