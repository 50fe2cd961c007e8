import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPairFiles } from '../signing/index.js';
import { runCommandCaptured, type CommandFn } from '../testing/cli.js';
import { sharedData } from '../testing/fixtures.js';
import { runCommand, writeAuthFile } from '../testing/oci-images.js';
import { requireCommand, startRegistry, type TestRegistry } from '../testing/registry.js';
import { trivyFixtureRecords } from '../testing/trivy-fixture-db.js';
import { openVulnDb } from '../vulndb/index.js';
import { runAttest } from './commands/attest.js';
import { runSbom } from './commands/sbom.js';
import { runScan } from './commands/scan.js';
import { runVerifyAttestation } from './commands/verify-attestation.js';

// attest, verify-attestation and scan/sbom --attest against a real docker-registry, with a real
// image pushed by skopeo and the SBOM and scan results our own commands produce. The commands are
// called directly (run.ts registers them).

let registry: TestRegistry;
let dir: string;
let dbPath: string;
let image: string;

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };
type Command = CommandFn;

async function run(command: Command, argv: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<Run> {
  // HOME and the cache in the work dir: no Docker config or cache of the user's is read.
  return runCommandCaptured(command, argv, {
    cwd: dir,
    env: { HOME: dir, PORTCULLIS_CACHE_DIR: path.join(dir, 'cache'), ...env },
    stdin,
  });
}

// Usage errors are found before any registry is contacted; nothing listens on port 9.
const UNUSED = '127.0.0.1:9/app:1';

const PASSWORDS = { alice: 'alice-pw', bob: 'bob-pw' } as const;
const asAlice = { PORTCULLIS_PASSWORD: PASSWORDS.alice };

type Statement = {
  _type: string;
  predicateType: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicate: Record<string, unknown>;
};
type Report = {
  digest: string;
  verified: { source: string; statement: Statement }[];
  failed: { code: string }[];
};

async function verifyJson(
  type: string,
  key = 'alice.pub',
  target = image,
): Promise<{ run: Run; report: Report }> {
  const r = await run(runVerifyAttestation, ['--key', key, '--type', type, '--format', 'json', target]);
  return { run: r, report: JSON.parse(r.stdout) as Report };
}

/** skopeo reads only plain docker-archive tars: unpack the gzip fixture, then copy it. */
async function pushArchive(fixture: string, dest: string, authFile?: string): Promise<void> {
  const tar = path.join(dir, `${path.basename(fixture, '.tar.gz')}.tar`);
  await writeFile(tar, gunzipSync(await readFile(sharedData('image-fixtures/trivy-test-images', fixture))));
  await runCommand('skopeo', [
    'copy',
    '-q',
    '--dest-tls-verify=false',
    ...(authFile === undefined ? [] : ['--dest-authfile', authFile]),
    `docker-archive:${tar}`,
    `docker://${dest}`,
  ]);
}

beforeAll(async () => {
  requireCommand('skopeo', 'skopeo');
  registry = await startRegistry();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-attest-cli-'));
  dbPath = path.join(dir, 'vuln.db');
  const db = openVulnDb(dbPath);
  db.importRecords(trivyFixtureRecords(), { name: 'trivy-fixture-db', kind: 'test', location: 'fixture-db' });
  db.close();
  for (const who of Object.keys(PASSWORDS) as (keyof typeof PASSWORDS)[]) {
    await writeKeyPairFiles(path.join(dir, who), PASSWORDS[who]);
  }
  // A real Alpine 3.10 image with known vulnerable packages (trivy's test image).
  image = `${registry.host}/alpine:3.10`;
  await pushArchive('alpine-310.tar.gz', image);
}, 120_000);

afterAll(async () => {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('portcullis attest and verify-attestation', () => {
  it('round trip with an SBOM from portcullis sbom (cyclonedx); other types and keys fail', async () => {
    const sbom = await run(runSbom, [`docker://${image}`, '--output', 'sbom.cdx.json']);
    expect(sbom.code).toBe(0);
    const attested = await run(
      runAttest,
      ['--key', 'alice.key', '--type', 'cyclonedx', '--predicate', 'sbom.cdx.json', image],
      asAlice,
    );
    expect(attested.code, attested.stderr).toBe(0);
    expect(attested.stdout).toMatch(new RegExp(`^${registry.host}/alpine@sha256:[0-9a-f]{64}\\n$`));
    expect(attested.stderr).toContain('.att');

    const text = await run(runVerifyAttestation, ['--key', 'alice.pub', '--type', 'cyclonedx', image]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Verified sha256-[0-9a-f]{64}\.att layer 1 of sha256:/);
    const { run: ok, report } = await verifyJson('cyclonedx');
    expect(ok.code).toBe(0);
    const statement = report.verified[0]?.statement;
    expect(statement?.predicateType).toBe('https://cyclonedx.org/bom');
    expect(statement?.subject[0]).toEqual({
      name: `${registry.host}/alpine`,
      digest: { sha256: report.digest.slice(7) },
    });
    expect(statement?.predicate['bomFormat']).toBe('CycloneDX');
    expect(JSON.stringify(statement?.predicate)).toContain('musl');

    const wrongType = await run(runVerifyAttestation, ['--key', 'alice.pub', '--type', 'spdxjson', image]);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stdout).toBe('');
    expect(wrongType.stderr).toContain('[predicate-mismatch]');
    const wrongKey = await run(runVerifyAttestation, ['--key', 'bob.pub', '--type', 'cyclonedx', image]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('[signature-invalid]');
  });

  it('round trip with a vuln predicate wrapping portcullis scan JSON', async () => {
    const scan = await run(runScan, [
      `docker://${image}`,
      '--db',
      dbPath,
      '--format',
      'json',
      '--output',
      'scan.json',
    ]);
    expect(scan.code, scan.stderr).toBe(0);
    const result = JSON.parse(await readFile(path.join(dir, 'scan.json'), 'utf8')) as unknown;
    await writeFile(
      path.join(dir, 'vuln.json'),
      JSON.stringify({
        scanner: { uri: 'pkg:npm/portcullis', version: 'test', result },
        metadata: { scanStartedOn: '2026-11-27T01:00:00Z', scanFinishedOn: '2026-11-27T01:00:05.250Z' },
      }),
    );
    const attested = await run(
      runAttest,
      ['--key', 'alice.key', '--type', 'vuln', '--predicate', 'vuln.json', image],
      asAlice,
    );
    expect(attested.code, attested.stderr).toBe(0);
    const { run: ok, report } = await verifyJson('vuln');
    expect(ok.code, ok.stderr).toBe(0);
    const predicate = report.verified[0]?.statement.predicate as {
      scanner: { result: { vulnerabilities: { id: string }[] } };
      metadata: unknown;
    };
    expect(predicate.scanner.result.vulnerabilities.map((v) => v.id)).toContain('CVE-2019-1551');
    expect(predicate.metadata).toEqual({
      scanStartedOn: '2026-11-27T01:00:00Z',
      scanFinishedOn: '2026-11-27T01:00:05.25Z',
    });
  });

  it('an image without attestations: exit 1 saying so', async () => {
    const other = `${registry.host}/bare:1`;
    await pushArchive('alpine-39.tar.gz', other);
    const r = await run(runVerifyAttestation, ['--key', 'alice.pub', '--type', 'vuln', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no attestations for .*nothing at tag sha256-[0-9a-f]{64}\.att/);
  });

  it.each<[string, Command, string[], string]>([
    ['attest without --predicate', runAttest, ['--key', 'alice.key', UNUSED], 'USAGE'],
    ['attest without --key', runAttest, ['--predicate', 'x.json', UNUSED], 'USAGE'],
    [
      'attest with an unknown type',
      runAttest,
      ['--key', 'alice.key', '--type', 'sbom', '--predicate', 'x', UNUSED],
      'ATTESTATION_TYPE_INVALID',
    ],
    [
      'attest to a local image',
      runAttest,
      ['--key', 'alice.key', '--predicate', 'x', 'oci:/tmp/layout'],
      'USAGE',
    ],
    [
      'verify-attestation with a KMS key',
      runVerifyAttestation,
      ['--key', 'awskms://alias/k', UNUSED],
      'USAGE',
    ],
    [
      'scan --attest of an archive',
      runScan,
      ['--attest', '--key', 'alice.key', 'docker-archive:/tmp/x.tar'],
      'USAGE',
    ],
    ['scan --key without --attest', runScan, ['--key', 'alice.key', `docker://${UNUSED}`], 'USAGE'],
    ['sbom --attest without --key', runSbom, ['--attest', `docker://${UNUSED}`], 'USAGE'],
    ['sbom --attest of a layout', runSbom, ['--attest', '--key', 'alice.key', 'oci:/tmp/layout'], 'USAGE'],
  ])('usage error: %s', async (_name, command, argv, code) => {
    await expect(run(command, argv, asAlice)).rejects.toMatchObject({ code });
  });
});

describe('scan --attest and sbom --attest', () => {
  it('scan --attest attaches a cosign vuln predicate built from the scan', async () => {
    const before = new Date();
    const scan = await run(
      runScan,
      [`docker://${image}`, '--db', dbPath, '--format', 'json', '--attest', '--key', 'bob.key'],
      {
        PORTCULLIS_PASSWORD: PASSWORDS.bob,
      },
    );
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stderr).toContain('cosign.sigstore.dev/attestation/vuln/v1');
    const { run: ok, report } = await verifyJson('vuln', 'bob.pub');
    expect(ok.code, ok.stderr).toBe(0);
    expect(report.verified).toHaveLength(1);
    const p = report.verified[0]?.statement.predicate as {
      scanner: {
        uri: string;
        version: string;
        db: { uri: string; version: string };
        result: { vulnerabilities: unknown[] };
      };
      metadata: { scanStartedOn: string; scanFinishedOn: string };
    };
    expect(p.scanner.uri).toMatch(/^pkg:npm\/portcullis@/);
    expect(p.scanner.db.uri).toBe('trivy-fixture-db');
    expect(p.scanner.db.version).not.toBe('');
    // The attested result is the scan's own JSON output.
    expect(p.scanner.result).toEqual(JSON.parse(scan.stdout));
    const started = Date.parse(p.metadata.scanStartedOn);
    expect(started).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(Date.parse(p.metadata.scanFinishedOn)).toBeGreaterThanOrEqual(started);
  });

  it('sbom --attest --format spdx attaches the SPDX document (type spdxjson)', async () => {
    const sbom = await run(
      runSbom,
      [`docker://${image}`, '--format', 'spdx', '--attest', '--key', 'bob.key'],
      {
        PORTCULLIS_PASSWORD: PASSWORDS.bob,
      },
    );
    expect(sbom.code, sbom.stderr).toBe(0);
    const { run: ok, report } = await verifyJson('spdxjson', 'bob.pub');
    expect(ok.code, ok.stderr).toBe(0);
    expect(report.verified[0]?.statement.predicate).toEqual(JSON.parse(sbom.stdout));
    // spdx and spdxjson are one predicate type.
    expect((await verifyJson('spdx', 'bob.pub')).run.code).toBe(0);
  });

  it('a wrong key password stops sbom --attest before any work', async () => {
    await expect(
      run(runSbom, [`docker://${image}`, '--attest', '--key', 'bob.key'], { PORTCULLIS_PASSWORD: 'nope' }),
    ).rejects.toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
  });

  it('sbom --attest with --username/--password-stdin: the one stdin password serves the read and the push', async () => {
    const secured = await startRegistry({ auth: 'htpasswd' });
    try {
      const user = secured.username ?? '';
      const password = secured.password ?? '';
      const authFile = path.join(dir, 'auth.json');
      await writeAuthFile(authFile, secured.host, user, password);
      const target = `${secured.host}/alpine:3.10`;
      await pushArchive('alpine-310.tar.gz', target, authFile);
      const sbom = await run(
        runSbom,
        [`docker://${target}`, '--attest', '--key', 'bob.key', '--username', user, '--password-stdin'],
        { PORTCULLIS_PASSWORD: PASSWORDS.bob },
        `${password}\n`,
      );
      expect(sbom.code, sbom.stderr).toBe(0);
      const verified = await run(
        runVerifyAttestation,
        ['--key', 'bob.pub', '--type', 'cyclonedx', '--username', user, '--password-stdin', target],
        {},
        `${password}\n`,
      );
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stderr).not.toContain(password);
    } finally {
      await secured.stop();
    }
  });
});
