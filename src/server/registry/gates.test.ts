import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger, parseDigest, type Digest } from '../../core/index.js';
import { parseImageRef } from '../../imageref/index.js';
import { buildInventory } from '../../inventory/index.js';
import { OciError, RegistryClient, RegistryImageSource } from '../../oci/index.js';
import { parsePolicy } from '../../policy/index.js';
import type { PushedManifest, RegistryHooks } from '../../registry/index.js';
import { matchInventory } from '../../scan/index.js';
import { writeKeyPairFiles } from '../../signing/index.js';
import { runCliCaptured } from '../../testing/cli.js';
import {
  addIndexToLayout,
  buildTestImages,
  layoutDescriptor,
  pushLayoutTag,
  runCommand,
} from '../../testing/oci-images.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import type { VulnDb } from '../../vulndb/index.js';
import { openTrivyFixtureDb, pushTrivyArchive } from '../facts/testdata/admission-fixture.js';
import { createRegistryGates } from './gates.js';
import { LocalRegistryClient } from './local-client.js';
import type { ScanResultsReader, StoredScan } from './scan-results.js';

// The pull gates end to end against our registry: images pushed with skopeo, signed with
// `portcullis sign`, scanned by the real matcher against Trivy's fixture database (alpine 3.9's
// musl has the critical CVE-2019-14697; alpine 3.10 has nothing critical), pulled with skopeo
// and RegistryClient, verified with `portcullis verify` through the gated routes.

const PASSWORD = `p-${randomBytes(9).toString('base64url')}`;

let work: string;
let layout: string;
let db: VulnDb;
let reg: TestPortcullisRegistry;
let client: RegistryClient;
let gates: Required<RegistryHooks> | undefined;
const logger = createMemoryLogger();

/**
 * The scan results the gates read: a small ScanResultsReader whose findings come from the real
 * inventory builder and matcher, reading the image from the registry's stores (as the scan
 * worker does); statuses other than done are set by hand.
 */
class FixtureScans implements ScanResultsReader {
  readonly #scans = new Map<string, StoredScan>();
  scanOf(digest: Digest): Promise<StoredScan | undefined> {
    return Promise.resolve(this.#scans.get(digest));
  }
  set(scan: StoredScan): void {
    this.#scans.set(scan.digest, scan);
  }
  async scan(repository: string, digest: Digest): Promise<StoredScan> {
    const local = new LocalRegistryClient(reg.blobs, reg.metadata);
    const source = new RegistryImageSource({ registry: reg.host, repository, digest }, { client: local });
    try {
      const inventory = await buildInventory(await source.open());
      const scan: StoredScan = { digest, status: 'done', findings: matchInventory(inventory, db).findings };
      this.set(scan);
      return scan;
    } finally {
      await source.close();
    }
  }
}
const scans = new FixtureScans();

// Our registry starts before the gates exist (they read its stores): the hooks it gets call them.
const hooks: RegistryHooks = {
  checkPull: (ctx) => gates?.checkPull(ctx) ?? Promise.resolve(undefined),
  checkTagChange: (ctx) => gates?.checkTagChange(ctx) ?? Promise.resolve(undefined),
  onManifestPushed: (event: PushedManifest) => gates?.onManifestPushed(event),
};

function indent(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n');
}

function policyYaml(trustedPem: string): string {
  return `apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: trusted
    kind: requireSignature
    keys:
      - pem: |
${indent(trustedPem, 10)}
  - name: trusted-provenance
    kind: requireSignature
    attestations: [https://slsa.dev/provenance/v1]
    keys:
      - pem: |
${indent(trustedPem, 10)}
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
  - name: no-critical-but-musl
    kind: vulnerabilities
    failOn: critical
    ignore:
      - id: CVE-2019-14697
        reason: the application never calls musl's affected code
        expires: "2999-12-31"
  - name: no-critical-expired
    kind: vulnerabilities
    failOn: critical
    ignore:
      - id: CVE-2019-14697
        reason: accepted for a while
        expires: "2020-01-31"
  - name: no-medium
    kind: vulnerabilities
    failOn: medium
  - name: no-critical-warn
    kind: vulnerabilities
    mode: warn
    failOn: critical
  - name: no-critical-lenient
    kind: vulnerabilities
    failOn: critical
    onError: allow
server:
  projects:
    - name: signed
      pull:
        rules: [trusted]
    - name: attested
      pull:
        rules: [trusted-provenance]
    - name: vuln
      pull:
        rules: [no-critical]
      immutableTags: ["v*", "release-?"]
    - name: vexed
      pull:
        rules: [no-critical]
      vex: [vex/musl.json]
    - name: ignoring
      pull:
        rules: [no-critical-but-musl]
    - name: expired
      pull:
        rules: [no-critical-expired]
    - name: strict
      pull:
        rules: [no-medium]
    - name: warned
      pull:
        rules: [no-critical-warn]
    - name: lax-*
      pull:
        rules: [no-critical-lenient]
        whileScanning: allow
`;
}

const VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/musl-1',
  author: 'portcullis tests',
  timestamp: '2024-01-01T00:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2019-14697' },
      products: [{ '@id': 'pkg:apk/alpine/musl' }, { '@id': 'pkg:apk/alpine/musl-utils' }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
  ],
};

/** Pushes a docker-archive from trivy-test-images to each of `dests`; the digest (the same in each). */
async function pushTrivyImage(name: string, dests: readonly string[]): Promise<Digest> {
  await pushTrivyArchive(name, work, dests);
  const digests = new Set<Digest>();
  for (const dest of dests) digests.add(await digestOf(dest));
  const [digest, ...others] = digests;
  if (digest === undefined || others.length > 0) throw new Error(`${name} was pushed with different digests`);
  return digest;
}

async function digestOf(image: string): Promise<Digest> {
  const ref = parseImageRef(image);
  const digest = await reg.metadata.resolveTag(ref.repository, ref.tag ?? 'latest');
  if (digest === undefined) throw new Error(`${image} was not pushed`);
  return digest;
}

/** Pulls the manifest with RegistryClient: the refusal's message, or undefined when served. */
async function refusal(image: string): Promise<string | undefined> {
  try {
    await client.getManifest(parseImageRef(image));
    return undefined;
  } catch (err) {
    // The client wraps the registry's message: `… (HTTP 403, DENIED: <message>)`.
    if (err instanceof OciError && err.code === 'DENIED')
      return /DENIED: (.*)\)$/s.exec(err.message)?.[1] ?? err.message;
    throw err;
  }
}

/** `skopeo copy` of the whole image out of our registry: a real client's pull. */
async function skopeoPull(image: string): Promise<void> {
  const dest = path.join(work, `pulled-${randomBytes(4).toString('hex')}`);
  await runCommand('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${image}`, `oci:${dest}:x`]);
}

async function cli(argv: readonly string[]) {
  return runCliCaptured(argv, work, { env: { PORTCULLIS_PASSWORD: PASSWORD } });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-registry-gates-'));
  layout = path.join(work, 'layout');
  await buildTestImages(
    layout,
    [
      { tag: 'one', files: { 'etc/one': randomBytes(512) } },
      { tag: 'two', files: { 'etc/two': randomBytes(512) } },
      { tag: 'three', files: { 'etc/three': randomBytes(512) } },
    ],
    work,
  );
  await writeKeyPairFiles(path.join(work, 'trusted'), PASSWORD);
  await writeKeyPairFiles(path.join(work, 'other'), PASSWORD);
  db = openTrivyFixtureDb(path.join(work, 'vuln.db'));
  await mkdir(path.join(work, 'vex'));
  await writeFile(path.join(work, 'vex', 'musl.json'), JSON.stringify(VEX));

  reg = await startPortcullisRegistry({ noAuth: true, server: { hooks } });
  client = new RegistryClient({ retries: 0 });
  const policy = parsePolicy(policyYaml(await readFile(path.join(work, 'trusted.pub'), 'utf8')));
  gates = createRegistryGates({
    policy,
    policyDir: work,
    scans,
    blobs: reg.blobs,
    metadata: reg.metadata,
    logger,
  });
}, 300_000);

afterAll(async () => {
  client.close();
  db.close();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

describe('requireSignature pull gate', () => {
  it('refuses an unsigned image, serves it once signed with the project key (and portcullis verify still works)', async () => {
    const image = `${reg.host}/signed/app:v1`;
    await pushLayoutTag(layout, 'one', image);
    const digest = await digestOf(image);
    const refused = await refusal(image);
    expect(refused).toContain('pull refused by rule trusted: no signature verifies');
    expect(refused).toContain(`no signatures found for ${digest}`);
    // A HEAD is answered (digest, type and size; no content): tag resolution and signers need it.
    expect((await client.headManifest(parseImageRef(image)))?.digest).toBe(digest);

    // Signing goes through the gated routes (the .sig tag is read, pushed): it is not in the way.
    // The refusal just cached is forgotten when the signature arrives.
    const signed = await cli(['sign', '--key', 'trusted.key', `${reg.host}/signed/app@${digest}`]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(await refusal(image)).toBeUndefined();
    await skopeoPull(image);
    const verified = await cli(['verify', '--key', 'trusted.pub', image]);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('serves an image signed with a Sigstore bundle referrer (OCI 1.1), read through the referrers of the stores', async () => {
    const image = `${reg.host}/signed/bundled:v1`;
    await pushLayoutTag(layout, 'two', image);
    const digest = await digestOf(image);
    expect(await refusal(image)).toContain('pull refused by rule trusted');
    const signed = await cli([
      'sign',
      '--bundle',
      '--key',
      'trusted.key',
      `${reg.host}/signed/bundled@${digest}`,
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain('Attached a Sigstore bundle as referrer');
    expect(await refusal(image)).toBeUndefined();
    // The referrer (a manifest with a subject) is served to verifiers.
    const verified = await cli(['verify', '--key', 'trusted.pub', image]);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('gates a runnable image that calls itself an artifact (artifactType, subject): only the content exempts', async () => {
    const base = `${reg.host}/signed/disguised:base`;
    await pushLayoutTag(layout, 'two', base);
    const digest = await digestOf(base);
    const local = new LocalRegistryClient(reg.blobs, reg.metadata);
    const stored = await local.getManifest({ registry: reg.host, repository: 'signed/disguised', digest });
    const manifest = JSON.parse(stored.bytes.toString('utf8')) as Record<string, unknown>;
    const disguised = Buffer.from(
      JSON.stringify({
        ...manifest,
        artifactType: 'application/vnd.example.sbom',
        subject: { mediaType: stored.mediaType, digest, size: stored.bytes.length },
      }),
    );
    const put = await fetch(`${reg.url}/v2/signed/disguised/manifests/sbom`, {
      method: 'PUT',
      headers: { 'content-type': stored.mediaType },
      body: disguised,
    });
    expect(put.status).toBe(201);
    expect(await refusal(`${reg.host}/signed/disguised:sbom`)).toContain('pull refused by rule trusted');
  });

  it('refuses an image signed only with another key, saying the signature does not verify', async () => {
    const image = `${reg.host}/signed/other:v1`;
    await pushLayoutTag(layout, 'two', image);
    const digest = await digestOf(image);
    const signed = await cli(['sign', '--key', 'other.key', `${reg.host}/signed/other@${digest}`]);
    expect(signed.code, signed.stderr).toBe(0);
    const refused = await refusal(image);
    expect(refused).toContain('pull refused by rule trusted');
    expect(refused).toContain('the signature does not verify with the given public key');
    await expect(skopeoPull(image)).rejects.toThrow();
    // The signature manifest itself is served: clients fetch it to verify.
    const sig = await client.getManifest({
      ...parseImageRef(image),
      tag: `sha256-${parseDigest(digest).slice(7)}.sig`,
    });
    expect(sig.bytes.length).toBeGreaterThan(0);
  });

  it('does not count a signature of the same digest that names another repository', async () => {
    // The same image in two repositories; the signature made for signed/app is copied next to
    // it under signed/copy, where it verifies with the key but names the wrong repository.
    const image = `${reg.host}/signed/copy:v1`;
    await pushLayoutTag(layout, 'one', image);
    const digest = await digestOf(image);
    const sigTag = `sha256-${parseDigest(digest).slice(7)}.sig`;
    await runCommand('skopeo', [
      'copy',
      '-q',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${reg.host}/signed/app:${sigTag}`,
      `docker://${reg.host}/signed/copy:${sigTag}`,
    ]);
    const refused = await refusal(image);
    expect(refused).toContain(`names repository ${reg.host}/signed/app, not signed/copy`);
  });
  it('serves the platform manifests of a signed index (signing the index vouches for them), not of an unsigned one', async () => {
    await addIndexToLayout(layout, 'multi', [
      { tag: 'one', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'three', platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const image = `${reg.host}/signed/multi:v1`;
    await pushLayoutTag(layout, 'multi', image, { all: true });
    const index = await digestOf(image);
    const amd64 = parseDigest((await layoutDescriptor(layout, 'one')).digest);
    // The index itself is not gated; its platform manifests are.
    expect(await refusal(image)).toBeUndefined();
    expect(await refusal(`${reg.host}/signed/multi@${amd64}`)).toContain('pull refused by rule trusted');
    await expect(skopeoPull(image)).rejects.toThrow(/pull refused by rule trusted/);
    const signed = await cli(['sign', '--key', 'trusted.key', `${reg.host}/signed/multi@${index}`]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(await refusal(`${reg.host}/signed/multi@${amd64}`)).toBeUndefined();
    await skopeoPull(image);
  });
});

describe('requireSignature with attestations', () => {
  it('refuses a signed image until an attestation of the required type verifies; the .att manifest is served', async () => {
    const image = `${reg.host}/attested/app:v1`;
    await pushLayoutTag(layout, 'three', image);
    const digest = await digestOf(image);
    const signed = await cli(['sign', '--key', 'trusted.key', `${reg.host}/attested/app@${digest}`]);
    expect(signed.code, signed.stderr).toBe(0);
    const refused = await refusal(image);
    expect(refused).toContain('pull refused by rule trusted-provenance');
    expect(refused).toContain('https://slsa.dev/provenance/v1');
    await writeFile(
      path.join(work, 'provenance.json'),
      JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build/v1' }, runDetails: {} }),
    );
    const attested = await cli([
      'attest',
      '--key',
      'trusted.key',
      '--type',
      'slsaprovenance1',
      '--predicate',
      'provenance.json',
      `${reg.host}/attested/app@${digest}`,
    ]);
    expect(attested.code, attested.stderr).toBe(0);
    expect(await refusal(image)).toBeUndefined();
    const att = await client.getManifest({
      ...parseImageRef(image),
      tag: `sha256-${parseDigest(digest).slice(7)}.att`,
    });
    expect(att.bytes.length).toBeGreaterThan(0);
  });
});

describe('gate configuration', () => {
  async function recordOf(image: string) {
    const ref = parseImageRef(image);
    const record = await reg.metadata.getManifest(ref.repository, await digestOf(image));
    if (record === undefined) throw new Error(`${image} is not stored`);
    return { repository: ref.repository, record };
  }

  it('fails closed on what it cannot check: keyless signers without a trusted root, an unreadable VEX file', async () => {
    const image = `${reg.host}/keyless/app:v1`;
    await pushLayoutTag(layout, 'two', image);
    const memory = createMemoryLogger();
    const other = createRegistryGates({
      policy: parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: ci-identity
    kind: requireSignature
    keyless:
      - issuer: https://token.actions.githubusercontent.com
        subject: https://github.com/example/app/.github/workflows/release.yml@refs/heads/main
  - name: ci-identity-lenient
    kind: requireSignature
    onError: allow
    keyless:
      - issuer: https://token.actions.githubusercontent.com
        subject: https://github.com/example/app/.github/workflows/release.yml@refs/heads/main
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
server:
  projects:
    - name: keyless
      pull:
        rules: [ci-identity]
    - name: lenient
      pull:
        rules: [ci-identity-lenient]
    - name: missing-vex
      pull:
        rules: [no-critical]
      vex: [vex/absent.json]
`),
      policyDir: work,
      scans,
      blobs: reg.blobs,
      metadata: reg.metadata,
      logger: memory,
    });
    const { repository, record } = await recordOf(image);
    const refused = await other.checkPull({ method: 'GET', repository, record, actor: undefined });
    expect(refused?.code).toBe('DENIED');
    expect(refused?.message).toContain('pull refused by rule ci-identity: none of the rule');
    expect(refused?.message).toContain('no Sigstore trusted root was configured');
    expect(
      await other.checkPull({ method: 'GET', repository: 'lenient/app', record, actor: undefined }),
    ).toBeUndefined();
    expect(memory.entries.some((e) => e.level === 'warn' && e.msg.includes('(onError: allow)'))).toBe(true);
    scans.set({ digest: record.digest, status: 'done', findings: [] });
    const noVex = await other.checkPull({
      method: 'GET',
      repository: 'missing-vex/app',
      record,
      actor: undefined,
    });
    expect(noVex?.message).toContain(
      "pull refused by rule no-critical: the project's VEX documents cannot be read",
    );
    // HEAD is never refused: it serves no content.
    expect(await other.checkPull({ method: 'HEAD', repository, record, actor: undefined })).toBeUndefined();
  });

  it('applies the first project entry that matches; later globs do not add gates', async () => {
    const image = `${reg.host}/team-a/app:v1`;
    await pushLayoutTag(layout, 'three', image);
    await pushLayoutTag(layout, 'three', `${reg.host}/team-b/app:v1`);
    const first = createRegistryGates({
      policy: parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
server:
  projects:
    - name: team-a
      immutableTags: [stable]
    - name: team-*
      pull:
        rules: [no-critical]
      immutableTags: ["*"]
`),
      policyDir: work,
      scans,
      blobs: reg.blobs,
      metadata: reg.metadata,
    });
    const { record } = await recordOf(image);
    expect(
      await first.checkPull({ method: 'GET', repository: 'team-a/app', record, actor: undefined }),
    ).toBeUndefined();
    expect(
      (await first.checkPull({ method: 'GET', repository: 'team-b/app', record, actor: undefined }))?.message,
    ).toContain('has not been scanned');
    const change = { repository: 'team-a/app', current: record.digest, next: undefined, actor: undefined };
    expect(await first.checkTagChange({ ...change, tag: 'v1' })).toBeUndefined();
    expect((await first.checkTagChange({ ...change, tag: 'stable' }))?.message).toContain('(pattern stable)');
    expect(
      (await first.checkTagChange({ ...change, repository: 'team-b/app', tag: 'v1' }))?.message,
    ).toContain('(pattern *)');
    // Signing again moves the .sig tag: `*` does not stop it.
    const sigTag = `sha256-${parseDigest(record.digest).slice(7)}.sig`;
    expect(await first.checkTagChange({ ...change, repository: 'team-b/app', tag: sigTag })).toBeUndefined();
  });
});

describe('vulnerabilities pull gate', () => {
  let critical: Digest;

  beforeAll(async () => {
    // The same image in the other projects' repositories.
    critical = await pushTrivyImage(
      'alpine-39',
      ['vuln', 'vexed', 'ignoring', 'expired', 'warned', 'lax-a'].map((p) => `${reg.host}/${p}/alpine:3.9`),
    );
  }, 300_000);

  it('fails closed before a scan is recorded, and while it is pending (whileScanning: deny)', async () => {
    expect(await refusal(`${reg.host}/vuln/alpine:3.9`)).toBe(
      `pull refused by rule no-critical: ${critical} has not been scanned`,
    );
    scans.set({ digest: critical, status: 'pending', findings: [] });
    expect(await refusal(`${reg.host}/vuln/alpine:3.9`)).toContain('has not finished; try again shortly');
    // whileScanning: allow serves it (and says so in the log).
    expect(await refusal(`${reg.host}/lax-a/alpine:3.9`)).toBeUndefined();
    expect(logger.entries.some((e) => e.msg.includes('allowed (whileScanning: allow)'))).toBe(true);
  });

  it('refuses failed and unsupported scans (onError deny), unless the rule says onError: allow', async () => {
    scans.set({
      digest: critical,
      status: 'failed',
      findings: [],
      error: 'layer sha256:… could not be read',
    });
    expect(await refusal(`${reg.host}/vuln/alpine:3.9`)).toBe(
      `pull refused by rule no-critical: the scan of ${critical} failed: layer sha256:… could not be read`,
    );
    expect(await refusal(`${reg.host}/lax-a/alpine:3.9`)).toBeUndefined();
    scans.set({ digest: critical, status: 'unsupported', findings: [], error: 'no OS the scanner reads' });
    expect(await refusal(`${reg.host}/vuln/alpine:3.9`)).toContain(
      'cannot be scanned: no OS the scanner reads',
    );
  });

  it('refuses a critical finding naming the CVE, the package and the fix, with skopeo too', async () => {
    const scan = await scans.scan('vuln/alpine', critical);
    expect(scan.findings.some((f) => f.id === 'CVE-2019-14697')).toBe(true);
    const refused = await refusal(`${reg.host}/vuln/alpine:3.9`);
    expect(refused).toMatch(
      /^pull refused by rule no-critical: CVE-2019-14697 \(critical, musl 1\.1\.20-r\d+, fixed in 1\.1\.20-r5\)/,
    );
    await expect(skopeoPull(`${reg.host}/vuln/alpine:3.9`)).rejects.toThrow(/CVE-2019-14697/);
    // Pulled by digest: the same gate.
    expect(await refusal(`${reg.host}/vuln/alpine@${critical}`)).toBe(refused);
  });

  it('serves it when a VEX statement says not_affected, or the rule ignores the CVE; an expired ignore does not count', async () => {
    await scans.scan('vuln/alpine', critical);
    expect(await refusal(`${reg.host}/vexed/alpine:3.9`)).toBeUndefined();
    await skopeoPull(`${reg.host}/vexed/alpine:3.9`);
    expect(await refusal(`${reg.host}/ignoring/alpine:3.9`)).toBeUndefined();
    expect(await refusal(`${reg.host}/expired/alpine:3.9`)).toContain('CVE-2019-14697');
  });

  it('mode warn serves and logs', async () => {
    expect(await refusal(`${reg.host}/warned/alpine:3.9`)).toBeUndefined();
    expect(
      logger.entries.some(
        (e) =>
          e.level === 'warn' &&
          e.msg.includes('by rule no-critical-warn allowed (mode warn)') &&
          e.msg.includes('CVE-2019-14697'),
      ),
    ).toBe(true);
  });

  it('serves alpine 3.10 (nothing critical) under failOn critical, and refuses it under failOn medium', async () => {
    const digest = await pushTrivyImage('alpine-310', [
      `${reg.host}/vuln/alpine:3.10`,
      `${reg.host}/strict/alpine:3.10`,
    ]);
    const scan = await scans.scan('vuln/alpine', digest);
    expect(scan.findings.length).toBeGreaterThan(0);
    expect(await refusal(`${reg.host}/vuln/alpine:3.10`)).toBeUndefined();
    expect(await refusal(`${reg.host}/strict/alpine:3.10`)).toMatch(/^pull refused by rule no-medium: CVE-/);
  });
});

describe('immutable tags and ungated projects', () => {
  it('refuses moving or deleting a tag matching immutableTags, naming the pattern; other tags move', async () => {
    await pushLayoutTag(layout, 'one', `${reg.host}/vuln/app:v1`);
    const first = await digestOf(`${reg.host}/vuln/app:v1`);
    // Pushing the same manifest again is not a move.
    await pushLayoutTag(layout, 'one', `${reg.host}/vuln/app:v1`);
    await expect(pushLayoutTag(layout, 'three', `${reg.host}/vuln/app:v1`)).rejects.toThrow(/immutable/);
    expect(await digestOf(`${reg.host}/vuln/app:v1`)).toBe(first);
    const del = await fetch(`${reg.url}/v2/vuln/app/manifests/v1`, { method: 'DELETE' });
    expect(del.status).toBe(403);
    const body = (await del.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toEqual({
      code: 'DENIED',
      message: 'tag v1 of vuln/app is immutable (pattern v*) and cannot be deleted; push a new tag instead',
    });
    const byDigest = await fetch(`${reg.url}/v2/vuln/app/manifests/${first}`, { method: 'DELETE' });
    expect(byDigest.status).toBe(403);
    await pushLayoutTag(layout, 'one', `${reg.host}/vuln/app:release-1`);
    await expect(pushLayoutTag(layout, 'three', `${reg.host}/vuln/app:release-1`)).rejects.toThrow(
      /release-\?/,
    );
    // Not matching: moves and deletes as usual.
    await pushLayoutTag(layout, 'one', `${reg.host}/vuln/app:latest`);
    await pushLayoutTag(layout, 'three', `${reg.host}/vuln/app:latest`);
    expect(await digestOf(`${reg.host}/vuln/app:latest`)).not.toBe(first);
  });

  it('does not gate projects without an entry', async () => {
    const image = `${reg.host}/open/app:v1`;
    await pushLayoutTag(layout, 'two', image);
    expect(await refusal(image)).toBeUndefined();
    await pushLayoutTag(layout, 'three', image);
    expect(await refusal(image)).toBeUndefined();
  });
});
