import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../core/index.js';
import { parsePolicy, type Policy, type Severity } from '../../policy/index.js';
import { layoutDescriptor, runCommand, writeAuthFile } from '../../testing/oci-images.js';
import { openServeStores, type ServeStores } from '../../testing/portcullis-registry.js';
import { requireCommand } from '../../testing/registry.js';
import { openTrivyFixtureDb, policyYaml, pushTrivyArchive } from '../facts/testdata/admission-fixture.js';
import { startRegistryRuntime, type RegistryRuntime } from './runtime.js';

// Scan-on-push end to end (issue 9's acceptance point): Trivy's alpine test images pushed with
// skopeo into `portcullis serve`'s runtime (startRegistryRuntime: the real ScanWorker matching
// against Trivy's fixture database, the real pull gates), then pulled with fetch and skopeo.
// In that database alpine 3.9's musl has the critical CVE-2019-14697; alpine 3.10's findings
// (CVE-2019-1549 and CVE-2019-1551 in libcrypto1.1 and libssl1.1, openssl 1.1.1c-r0) are medium.

const PASSWORD = `a-${randomBytes(12).toString('base64url')}`;
const ADMIN = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

const MUSL_CRITICAL = 'CVE-2019-14697 (critical, musl 1.1.20-r4, fixed in 1.1.20-r5)';
const OPENSSL_1549 = 'CVE-2019-1549 (medium, libcrypto1.1 1.1.1c-r0, fixed in 1.1.1d-r0)';
const OPENSSL_1551 = 'CVE-2019-1551 (medium, libcrypto1.1 1.1.1c-r0, fixed in 1.1.1d-r2)';

let work: string;
let vulnDb: string;

/** The stores `portcullis serve` opens on a data directory, with an admin. */
function openStores(name: string): Promise<ServeStores> {
  return openServeStores(path.join(work, name), PASSWORD);
}

/** What the gates of the policy below are set to. */
type Gates = {
  /** failOn of project team's rule; undefined: team's pulls have no rule. */
  readonly team: Severity | undefined;
  /** failOn of project strict's rule. */
  readonly strict: Severity;
  /** OpenVEX files (relative to `work`, the policy's directory) both projects read. */
  readonly vex?: readonly string[];
  readonly whileScanning?: 'deny' | 'allow';
};

function gatesPolicy(g: Gates): Policy {
  const rule = (name: string, failOn: Severity) =>
    `  - name: ${name}\n    kind: vulnerabilities\n    failOn: ${failOn}`;
  const vex = g.vex === undefined ? '' : `\n      vex: [${g.vex.join(', ')}]`;
  const whileScanning = g.whileScanning === undefined ? '' : `, whileScanning: ${g.whileScanning}`;
  const project = (name: string, rules: string) =>
    `    - name: ${name}\n      pull: { rules: [${rules}]${whileScanning} }${vex}`;
  const text = [
    policyYaml([rule('team-vulns', g.team ?? 'critical'), rule('strict-vulns', g.strict)]),
    'server:',
    '  projects:',
    project('team', g.team === undefined ? '' : 'team-vulns'),
    project('strict', 'strict-vulns'),
  ].join('\n');
  return parsePolicy(text, 'portcullis.yaml');
}

/** The projects' gates as the acceptance text has them: alpine 3.9 refused in team, 3.10 in strict. */
const STRICT: Gates = { team: 'critical', strict: 'medium' };

/** A 0600 Docker config with the admin's credentials for the runtime, for skopeo. */
async function authFileFor(runtime: RegistryRuntime): Promise<string> {
  const file = path.join(work, `auth-${randomBytes(4).toString('hex')}.json`);
  await writeAuthFile(file, new URL(runtime.url).host, 'admin', PASSWORD);
  return file;
}

/**
 * Pushes trivy-test-images' `name` to `repository:tag` with skopeo (as an OCI manifest, so that a
 * pull into an OCI layout keeps its digest) and waits for the worker's scan to settle.
 */
async function pushAndScan(
  runtime: RegistryRuntime,
  stores: ServeStores,
  name: string,
  repository: string,
  tag: string,
): Promise<Digest> {
  const authFile = await authFileFor(runtime);
  await pushTrivyArchive(name, work, [`${new URL(runtime.url).host}/${repository}:${tag}`], {
    authFile,
    format: 'oci',
  });
  const digest = await stores.metadata.resolveTag(repository, tag);
  if (digest === undefined) throw new Error(`${repository}:${tag} was not pushed`);
  const worker = runtime.worker;
  if (worker === undefined) throw new Error('the runtime has no scan worker');
  expect((await worker.settled(digest))?.status).toBe('done');
  return digest;
}

/** GET of the manifest as the admin: undefined when served, else the registry's error. */
async function refusal(
  runtime: RegistryRuntime,
  repository: string,
  tag: string,
): Promise<{ status: number; code: string | undefined; message: string } | undefined> {
  const res = await fetch(`${runtime.url}/v2/${repository}/manifests/${tag}`, {
    headers: {
      authorization: ADMIN,
      // Not kept alive: a kept-alive connection whose response ends after close() has begun
      // holds the server's close until fastify's keep-alive timeout (72 s).
      connection: 'close',
      accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  const body = await res.text();
  if (res.status === 200) return undefined;
  const error = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
  return { status: res.status, code: error?.code, message: error?.message ?? body };
}

/** `skopeo copy` of the whole image into a new OCI layout: the digest it pulled. */
async function skopeoPull(runtime: RegistryRuntime, repository: string, tag: string): Promise<string> {
  const authFile = await authFileFor(runtime);
  const layout = path.join(work, `pulled-${randomBytes(4).toString('hex')}`);
  await runCommand('skopeo', [
    'copy',
    '-q',
    '--src-tls-verify=false',
    '--src-authfile',
    authFile,
    `docker://${new URL(runtime.url).host}/${repository}:${tag}`,
    `oci:${layout}:pulled`,
  ]);
  return (await layoutDescriptor(layout, 'pulled')).digest;
}

/** An OpenVEX 0.2.0 document of not_affected statements. */
function openVex(id: string, statements: readonly { cve: string; products: readonly object[] }[]): string {
  return JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `https://example.com/vex/${id}`,
    author: 'portcullis tests',
    timestamp: '2024-01-01T00:00:00Z',
    version: 1,
    statements: statements.map((s) => ({
      vulnerability: { name: s.cve },
      products: s.products,
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    })),
  });
}

beforeAll(async () => {
  requireCommand('skopeo', 'skopeo');
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-scan-on-push-'));
  vulnDb = path.join(work, 'vuln.db');
  // Written, then closed: the worker opens the file itself for each scan.
  openTrivyFixtureDb(vulnDb).close();
}, 60_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('scan-on-push end to end', () => {
  let stores: ServeStores;
  let runtime: RegistryRuntime;
  let alpine39: Digest;
  let alpine310: Digest;

  beforeAll(async () => {
    stores = await openStores('data');
    runtime = await startRegistryRuntime({
      host: '127.0.0.1',
      port: 0,
      service: 'portcullis-test',
      ...stores,
      policy: gatesPolicy(STRICT),
      policyDir: work,
      vulnerabilityDb: vulnDb,
    });
    alpine39 = await pushAndScan(runtime, stores, 'alpine-39', 'team/alpine', '3.9');
    alpine310 = await pushAndScan(runtime, stores, 'alpine-310', 'strict/alpine', '3.10');
    // The same alpine 3.10 where only critical findings block (the digest is scanned once).
    await pushTrivyArchive('alpine-310', work, [`${new URL(runtime.url).host}/team/alpine:3.10`], {
      authFile: await authFileFor(runtime),
      format: 'oci',
    });
  }, 300_000);

  afterAll(async () => {
    await runtime.close();
    await stores.close();
  });

  it('refuses pulling alpine 3.9 from a project that blocks critical findings, naming musl CVE-2019-14697 and its fix', async () => {
    runtime.reloadPolicy(gatesPolicy(STRICT));
    const refused = await refusal(runtime, 'team/alpine', '3.9');
    expect(refused).toMatchObject({ status: 403, code: 'DENIED' });
    expect(refused?.message).toContain(`pull refused by rule team-vulns: ${MUSL_CRITICAL}`);
    expect(refused?.message).toContain('CVE-2019-14697 (critical, musl-utils 1.1.20-r4, fixed in 1.1.20-r5)');
    // Its medium openssl findings are not named: failOn critical.
    expect(refused?.message).not.toContain('CVE-2019-1549');
    // By digest too, and a real client's pull fails with the same message.
    expect((await refusal(runtime, 'team/alpine', alpine39))?.message).toContain(MUSL_CRITICAL);
    await expect(skopeoPull(runtime, 'team/alpine', '3.9')).rejects.toThrow(MUSL_CRITICAL);
  });

  it('refuses pulling alpine 3.10 from a project that blocks medium findings, naming CVE-2019-1549', async () => {
    runtime.reloadPolicy(gatesPolicy(STRICT));
    // The fixture database rates alpine 3.10's findings medium, so failOn critical lets it through:
    // the acceptance text's "blocks critical findings" is shown with alpine 3.9 above, and here the
    // rule blocks what the database rates alpine 3.10 (failOn: medium).
    expect(await refusal(runtime, 'team/alpine', '3.10')).toBeUndefined();
    const refused = await refusal(runtime, 'strict/alpine', '3.10');
    expect(refused).toMatchObject({ status: 403, code: 'DENIED' });
    expect(refused?.message).toContain(`pull refused by rule strict-vulns: `);
    expect(refused?.message).toContain(OPENSSL_1549);
    expect(refused?.message).toContain(OPENSSL_1551);
    await expect(skopeoPull(runtime, 'strict/alpine', '3.10')).rejects.toThrow('CVE-2019-1549');
  });

  it('serves both images, with the pushed digests, once the policy is relaxed', async () => {
    // team's rule removed from its pulls; strict's failOn raised above what alpine 3.10 has.
    expect(runtime.reloadPolicy(gatesPolicy({ team: undefined, strict: 'high' }))).toBe(
      'pull gates and immutable tags for projects team, strict',
    );
    expect(await skopeoPull(runtime, 'team/alpine', '3.9')).toBe(alpine39);
    expect(await skopeoPull(runtime, 'strict/alpine', '3.10')).toBe(alpine310);
    // Only the policy changed: back to strict, both are refused again.
    runtime.reloadPolicy(gatesPolicy(STRICT));
    expect((await refusal(runtime, 'team/alpine', '3.9'))?.status).toBe(403);
    expect((await refusal(runtime, 'strict/alpine', '3.10'))?.status).toBe(403);
  });

  it('serves both images under the strict policy when a VEX document says they are not affected, and still refuses for a CVE it does not cover', async () => {
    await mkdir(path.join(work, 'vex'), { recursive: true });
    // musl by package purl (any version); alpine 3.10's openssl findings by the image (its digest
    // as an OpenVEX hash) and the affected packages as its subcomponents.
    const musl = {
      cve: 'CVE-2019-14697',
      products: [{ '@id': 'pkg:apk/alpine/musl' }, { '@id': 'pkg:apk/alpine/musl-utils' }],
    };
    const image = {
      hashes: { 'sha-256': alpine310.slice('sha256:'.length) },
      subcomponents: [{ '@id': 'pkg:apk/alpine/libcrypto1.1' }, { '@id': 'pkg:apk/alpine/libssl1.1' }],
    };
    await writeFile(
      path.join(work, 'vex', 'all.json'),
      openVex('all', [
        musl,
        { cve: 'CVE-2019-1549', products: [image] },
        { cve: 'CVE-2019-1551', products: [image] },
      ]),
    );
    await writeFile(
      path.join(work, 'vex', 'one.json'),
      openVex('one', [musl, { cve: 'CVE-2019-1549', products: [image] }]),
    );

    runtime.reloadPolicy(gatesPolicy({ ...STRICT, vex: ['vex/all.json'] }));
    expect(await skopeoPull(runtime, 'team/alpine', '3.9')).toBe(alpine39);
    expect(await skopeoPull(runtime, 'strict/alpine', '3.10')).toBe(alpine310);

    runtime.reloadPolicy(gatesPolicy({ ...STRICT, vex: ['vex/one.json'] }));
    expect(await refusal(runtime, 'team/alpine', '3.9')).toBeUndefined();
    const refused = await refusal(runtime, 'strict/alpine', '3.10');
    expect(refused).toMatchObject({ status: 403, code: 'DENIED' });
    expect(refused?.message).toContain(OPENSSL_1551);
    expect(refused?.message).not.toContain('CVE-2019-1549');
    await expect(skopeoPull(runtime, 'strict/alpine', '3.10')).rejects.toThrow('CVE-2019-1551');
  });
});

describe('scan-on-push end to end, while the scan is pending', () => {
  it('refuses the pull saying the scan has not finished (whileScanning: deny), and judges the findings once the scan is done', async () => {
    const stores = await openStores('pending');
    const options = {
      host: '127.0.0.1',
      port: 0,
      service: 'portcullis-test',
      ...stores,
      policyDir: work,
      vulnerabilityDb: vulnDb,
    } as const;
    const first = await startRegistryRuntime({ ...options, policy: gatesPolicy(STRICT) });
    let digest: Digest;
    try {
      // A closed worker still queues each push in registry.db but runs nothing: the scan stays
      // pending for as long as the test needs, without racing a running scan.
      await first.worker?.close();
      const authFile = await authFileFor(first);
      await pushTrivyArchive('alpine-39', work, [`${new URL(first.url).host}/team/alpine:3.9`], {
        authFile,
      });
      const pushed = await stores.metadata.resolveTag('team/alpine', '3.9');
      if (pushed === undefined) throw new Error('team/alpine:3.9 was not pushed');
      digest = pushed;
      expect((await first.worker?.scanOf(digest))?.status).toBe('pending');
      const refused = await refusal(first, 'team/alpine', '3.9');
      expect(refused).toMatchObject({ status: 403, code: 'DENIED' });
      expect(refused?.message).toBe(
        `pull refused by rule team-vulns: the scan of ${digest} has not finished; try again shortly`,
      );
      // whileScanning: allow serves it meanwhile.
      first.reloadPolicy(gatesPolicy({ ...STRICT, whileScanning: 'allow' }));
      expect(await refusal(first, 'team/alpine', '3.9')).toBeUndefined();
    } finally {
      await first.close();
    }
    // The next start resumes the queued scan; its findings then decide.
    const second = await startRegistryRuntime({ ...options, policy: gatesPolicy(STRICT) });
    try {
      expect((await second.worker?.settled(digest))?.status).toBe('done');
      const refused = await refusal(second, 'team/alpine', '3.9');
      expect(refused).toMatchObject({ status: 403, code: 'DENIED' });
      expect(refused?.message).toContain(MUSL_CRITICAL);
    } finally {
      await second.close();
      await stores.close();
    }
  }, 120_000);
});
