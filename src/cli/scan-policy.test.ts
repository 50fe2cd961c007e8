import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../testing/cli.js';
import { sharedData } from '../testing/fixtures.js';
import { runCommand } from '../testing/oci-images.js';
import { requireCommand, startRegistry, type TestRegistry } from '../testing/registry.js';
import { sarifValidator, scanJsonValidator } from '../testing/scan-schemas.js';
import { trivyFixtureRecords } from '../testing/trivy-fixture-db.js';
import { openVulnDb, type OsvRecord } from '../vulndb/index.js';

// `scan --policy` on trivy's real Alpine test images and the fixture database their goldens were
// computed against: alpine-39 has CVE-2019-14697 (critical, musl and musl-utils, fixed in
// 1.1.20-r5) and the medium OpenSSL CVE-2019-1549/-1551; alpine-310 only the medium ones.

let work: string;
let dbPath: string;
/** The same database, except that CVE-2019-14697 has no fixed version (for ignoreUnfixed). */
let unfixedDbPath: string;
let registry: TestRegistry;
let pushed: string;

const fixture = (name: string) => sharedData(`image-fixtures/trivy-test-images/${name}.tar.gz`);
const alpine39 = () => `docker-archive:${fixture('alpine-39')}`;
const alpine310 = () => `docker-archive:${fixture('alpine-310')}`;

function withoutFix(records: OsvRecord[], id: string): OsvRecord[] {
  return records.map((r) =>
    r.id !== id
      ? r
      : {
          ...r,
          affected: (r.affected ?? []).map((a) => ({
            ...a,
            ranges: (a.ranges ?? []).map((g) => ({ ...g, events: g.events.filter((e) => !('fixed' in e)) })),
          })),
        },
  );
}

function makeDb(file: string, records: OsvRecord[]): void {
  const db = openVulnDb(file);
  db.importRecords(records, { name: 'trivy-fixture-db', kind: 'test', location: 'fixture-db' });
  db.close();
}

beforeAll(async () => {
  requireCommand('skopeo', 'skopeo');
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-scan-policy-'));
  dbPath = path.join(work, 'vuln.db');
  unfixedDbPath = path.join(work, 'unfixed.db');
  makeDb(dbPath, trivyFixtureRecords());
  makeDb(unfixedDbPath, withoutFix(trivyFixtureRecords(), 'CVE-2019-14697'));
  // alpine-39 in a real registry, for the rules that judge a registry reference.
  registry = await startRegistry();
  pushed = `${registry.host}/team/alpine:latest`;
  const tar = path.join(work, 'alpine-39.tar');
  await writeFile(tar, gunzipSync(await readFile(fixture('alpine-39'))));
  await runCommand('skopeo', [
    'copy',
    '-q',
    '--dest-tls-verify=false',
    `docker-archive:${tar}`,
    `docker://${pushed}`,
  ]);
}, 120_000);

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

const cli = (argv: string[], db = dbPath) => runCliCaptured(argv, work, { env: { PORTCULLIS_DB: db } });

async function policyFile(name: string, rules: string, extra = ''): Promise<string> {
  await writeFile(
    path.join(work, name),
    ['apiVersion: portcullis.dev/v1alpha1', 'kind: Policy', extra, 'rules:', rules].join('\n'),
  );
  return name;
}

type Verdict = { rule: string; kind: string; outcome: string; action: string; message: string; fix: string };
type PolicyJson = {
  file: string;
  image: string;
  referenceEvaluated: boolean;
  allowed: boolean;
  summary: { deny: number; warn: number; audit: number; notEvaluated: number };
  verdicts: Verdict[];
};

async function scanJson(argv: string[], db = dbPath) {
  const r = await cli([...argv, '--format', 'json'], db);
  const doc = JSON.parse(r.stdout) as { policy?: PolicyJson };
  const validate = scanJsonValidator();
  expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  return { run: r, policy: doc.policy };
}

const HIGH = `
  - name: no-high
    kind: vulnerabilities
    failOn: high`;

describe('portcullis scan --policy: vulnerabilities', () => {
  it('denies an image with a finding at or above failOn: exit 1, the CVE and the fix after the findings', async () => {
    const file = await policyFile('high.yaml', HIGH);
    const r = await cli(['scan', alpine39(), '--policy', file]);
    expect(r.code, r.stderr).toBe(1);
    const section = r.stdout.slice(r.stdout.indexOf('Policy high.yaml'));
    expect(r.stdout.indexOf('Policy high.yaml')).toBeGreaterThan(r.stdout.indexOf('CVE-2019-1551'));
    expect(section).toMatch(/^Policy high\.yaml \(namespace default\): DENIED \(1 denied/);
    expect(section).toMatch(/DENY {3}no-high \(vulnerabilities, enforce\)/);
    expect(section).toContain('CVE-2019-14697 (critical, musl, fixed in 1.1.20-r5)');
    expect(section).toContain('CVE-2019-14697 (critical, musl-utils, fixed in 1.1.20-r5)');
    // Medium findings are below the rule's failOn.
    expect(section).not.toContain('CVE-2019-1551');
    expect(section).toMatch(/fix: rebuild on a patched base/);
  });

  it('passes an image whose findings are all below failOn (the scan itself still lists them)', async () => {
    const file = await policyFile('high.yaml', HIGH);
    const { run, policy } = await scanJson(['scan', alpine310(), '--policy', file]);
    expect(run.code).toBe(0);
    expect(policy?.allowed).toBe(true);
    expect(policy?.verdicts).toEqual([
      expect.objectContaining({ rule: 'no-high', outcome: 'pass', action: 'allow' }),
    ]);
  });

  it("the rule's ignore list lets the image pass; the report filters do not weaken the gate", async () => {
    const ignoring = await policyFile(
      'ignore.yaml',
      `${HIGH}
    ignore:
      - id: cve-2019-14697
        reason: musl is not reachable from the entrypoint`,
    );
    expect((await cli(['scan', alpine39(), '--policy', ignoring])).code).toBe(0);
    // --severity shapes the report only: the critical finding still denies.
    const file = await policyFile('high.yaml', HIGH);
    const filtered = await scanJson(['scan', alpine39(), '--policy', file, '--severity', 'medium']);
    expect(filtered.run.code).toBe(1);
    expect(filtered.policy?.verdicts[0]?.message).toContain('CVE-2019-14697');
  });

  it('an expired ignore entry no longer applies', async () => {
    const file = await policyFile(
      'expired.yaml',
      `${HIGH}
    ignore:
      - id: CVE-2019-14697
        reason: accepted until the rebuild
        expires: 2020-01-01`,
    );
    expect((await cli(['scan', alpine39(), '--policy', file])).code).toBe(1);
  });

  it('ignoreUnfixed lets an image pass whose failing findings have no fix', async () => {
    const strict = await policyFile('high.yaml', HIGH);
    const denied = await scanJson(['scan', alpine39(), '--policy', strict], unfixedDbPath);
    expect(denied.run.code).toBe(1);
    expect(denied.policy?.verdicts[0]?.message).toContain('CVE-2019-14697 (critical, musl)');
    const lenient = await policyFile('unfixed.yaml', `${HIGH}\n    ignoreUnfixed: true`);
    const passed = await scanJson(['scan', alpine39(), '--policy', lenient], unfixedDbPath);
    expect(passed.run.code).toBe(0);
    expect(passed.policy?.allowed).toBe(true);
    // With a fix available, ignoreUnfixed does not excuse it.
    expect((await cli(['scan', alpine39(), '--policy', lenient])).code).toBe(1);
  });

  it('warn and audit modes report the violation and exit 0', async () => {
    const file = await policyFile(
      'warn.yaml',
      `${HIGH}
    mode: warn
  - name: record-medium
    kind: vulnerabilities
    failOn: medium
    mode: audit`,
    );
    const r = await cli(['scan', alpine39(), '--policy', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/passed \(0 denied, 1 warning\(s\), 1 audit/);
    expect(r.stdout).toMatch(/warn {3}no-high \(vulnerabilities, warn\)\n\s+rule "no-high" .*CVE-2019-14697/);
    expect(r.stdout).toMatch(/audit {2}record-medium \(vulnerabilities, audit\)/);
    const { policy } = await scanJson(['scan', alpine39(), '--policy', file]);
    expect(policy?.summary).toEqual({ deny: 0, warn: 1, audit: 1, notEvaluated: 0 });
  });

  it('a denial fails the gate alongside --exit-code: the worse code wins', async () => {
    const file = await policyFile('high.yaml', HIGH);
    expect((await cli(['scan', alpine39(), '--policy', file, '--exit-code', '4'])).code).toBe(4);
    expect((await cli(['scan', alpine39(), '--policy', file, '--exit-code', '0'])).code).toBe(1);
  });

  it('SARIF carries the denial as a result of rule policy/NAME, valid against the official schema', async () => {
    const file = await policyFile('high.yaml', HIGH);
    const r = await cli(['scan', alpine39(), '--policy', file, '--format', 'sarif']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string; level: string; message: { text: string } }[] }[];
    };
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const denial = doc.runs[0]?.results.filter((x) => x.ruleId === 'policy/no-high');
    expect(denial).toHaveLength(1);
    expect(denial?.[0]?.level).toBe('error');
    expect(denial?.[0]?.message.text).toContain('CVE-2019-14697');
  });
});

describe('portcullis scan --policy: rules on the reference, the user and signatures', () => {
  const REFERENCE_RULES = `
  - name: trusted
    kind: allowedRegistries
    registries: [ghcr.io/acme]
  - name: no-latest
    kind: disallowTags
  - name: pinned
    kind: requireDigest
    mode: warn`;

  it('a local docker-archive has no registry reference: reference rules are not evaluated, not passed', async () => {
    const file = await policyFile('refs.yaml', REFERENCE_RULES);
    const { run, policy } = await scanJson(['scan', alpine310(), '--policy', file]);
    expect(run.code).toBe(0);
    expect(policy?.referenceEvaluated).toBe(false);
    expect(policy?.image).toBe(`<${alpine310()}>`);
    expect(policy?.verdicts.map((v) => `${v.rule} ${v.outcome} ${v.action}`)).toEqual([
      'trusted not-evaluated none',
      'no-latest not-evaluated none',
      'pinned not-evaluated none',
    ]);
    expect(policy?.verdicts[0]?.message).toMatch(/is a local docker-archive with no registry reference/);
    expect(policy?.verdicts[0]?.fix).toMatch(/--reference REF/);
    const text = await cli(['scan', alpine310(), '--policy', file]);
    expect(text.stdout).toMatch(/n\/a {4}trusted \(allowedRegistries, enforce\)/);
  });

  it('--reference judges a local target as the reference it will be deployed as', async () => {
    const file = await policyFile('refs.yaml', REFERENCE_RULES);
    const bad = await scanJson([
      'scan',
      alpine310(),
      '--policy',
      file,
      '--reference',
      'ghcr.io/acmecorp/app',
    ]);
    expect(bad.run.code).toBe(1);
    expect(bad.policy?.verdicts.map((v) => `${v.rule} ${v.action}`)).toEqual([
      'trusted deny',
      'no-latest deny',
      'pinned warn',
    ]);
    expect(bad.policy?.verdicts[0]?.message).toContain('"ghcr.io/acmecorp/app"');
    expect(bad.policy?.verdicts[1]?.message).toContain('no tag means latest');
    const digest = `sha256:${'a'.repeat(64)}`;
    const good = await scanJson([
      'scan',
      alpine310(),
      '--policy',
      file,
      '--reference',
      `ghcr.io/acme/app:1.0@${digest}`,
    ]);
    expect(good.run.code).toBe(0);
    expect(good.policy?.verdicts.every((v) => v.action === 'allow')).toBe(true);
  });

  it('rules scoped by match.images: judged on a registry reference, not evaluated on a local target', async () => {
    const file = await policyFile(
      'scoped.yaml',
      `
  - name: team-high
    kind: vulnerabilities
    failOn: high
    match: { images: ["127.0.0.1:*/team/**"] }`,
    );
    const local = await scanJson(['scan', alpine39(), '--policy', file]);
    expect(local.run.code).toBe(0);
    expect(local.policy?.verdicts[0]?.outcome).toBe('not-evaluated');
    expect(local.policy?.verdicts[0]?.message).toMatch(/scoped by match\.images/);
    const remote = await scanJson(['scan', `docker://${pushed}`, '--policy', file]);
    expect(remote.run.code, remote.run.stderr).toBe(1);
    expect(remote.policy?.verdicts[0]?.message).toContain('CVE-2019-14697');
  });

  it('a registry target is judged on its reference as given (tag and all)', async () => {
    const file = await policyFile(
      'registry.yaml',
      `
  - name: ours
    kind: allowedRegistries
    registries: ["${registry.host}/team"]
  - name: no-latest
    kind: disallowTags`,
    );
    const { run, policy } = await scanJson(['scan', `docker://${pushed}`, '--policy', file]);
    expect(run.code, run.stderr).toBe(1);
    expect(policy?.referenceEvaluated).toBe(true);
    expect(policy?.image).toBe(pushed);
    expect(policy?.verdicts.map((v) => `${v.rule} ${v.action}`)).toEqual(['ours allow', 'no-latest deny']);
    expect(policy?.verdicts[1]?.message).toContain('uses the tag "latest"');
  });

  it('requireNonRoot reads the image user: alpine runs as root', async () => {
    const file = await policyFile('nonroot.yaml', '\n  - name: non-root\n    kind: requireNonRoot');
    const { run, policy } = await scanJson(['scan', alpine310(), '--policy', file]);
    expect(run.code).toBe(1);
    expect(policy?.verdicts[0]?.message).toMatch(/may run as root: .* has user "root \(unset\)"/);
  });

  it('requireSignature and requirePullSecretsFor are not evaluated: listed, neither passing nor failing', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
      .trim()
      .replaceAll('\n', '\n          ');
    const file = await policyFile(
      'signed.yaml',
      `
  - name: signed
    kind: requireSignature
    keys:
      - pem: |
          ${pem}
  - name: pull-secrets
    kind: requirePullSecretsFor
    registries: [docker.io]`,
    );
    const { run, policy } = await scanJson(['scan', `docker://${pushed}`, '--policy', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(policy?.allowed).toBe(true);
    expect(policy?.summary.notEvaluated).toBe(2);
    expect(policy?.verdicts[0]).toMatchObject({ rule: 'signed', outcome: 'not-evaluated', action: 'none' });
    expect(policy?.verdicts[0]?.fix).toContain(`portcullis verify --key KEY ${pushed}`);
    const text = await cli(['scan', `docker://${pushed}`, '--policy', file]);
    expect(text.stdout).toMatch(
      /n\/a {4}signed \(requireSignature, enforce\)\n\s+not evaluated: scan does not verify signatures/,
    );
  });

  it('--namespace scopes rules as admission would', async () => {
    const file = await policyFile('ns.yaml', `${HIGH}\n    match: { namespaces: [prod] }`);
    expect((await cli(['scan', alpine39(), '--policy', file])).code).toBe(0);
    expect((await cli(['scan', alpine39(), '--policy', file, '--namespace', 'prod'])).code).toBe(1);
  });
});

describe('portcullis scan --policy: the policy file', () => {
  it('reads ./portcullis.yaml when present, as lint does; --no-policy ignores it', async () => {
    await policyFile('portcullis.yaml', HIGH);
    try {
      const r = await cli(['scan', alpine39()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Policy portcullis.yaml');
      const off = await cli(['scan', alpine39(), '--no-policy']);
      expect(off.code).toBe(0);
      expect(off.stdout).not.toContain('Policy');
    } finally {
      await rm(path.join(work, 'portcullis.yaml'));
    }
  });

  it('a default ./portcullis.yaml with no rules adds nothing to the report', async () => {
    await writeFile(
      path.join(work, 'portcullis.yaml'),
      'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\nlint:\n  failOn: high\n',
    );
    try {
      const { run, policy } = await scanJson(['scan', alpine39()]);
      expect(run.code).toBe(0);
      expect(policy).toBeUndefined();
    } finally {
      await rm(path.join(work, 'portcullis.yaml'));
    }
  });

  it('an invalid policy file fails before scanning, naming file:line', async () => {
    const file = await policyFile(
      'bad.yaml',
      '\n  - name: no-high\n    kind: vulnerabilities\n    failOn: severe',
    );
    const r = await cli(['scan', alpine39(), '--policy', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:8:13: rules\[0\]\.failOn: expected a severity/);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--policy', 'missing.yaml'], 3, /missing\.yaml/],
    [['--policy', 'high.yaml', '--no-policy'], 2, /exclude each other/],
    [['--policy', 'high.yaml', '--namespace', 'Prod!'], 2, /not a Kubernetes namespace/],
    [['--policy', 'high.yaml', '--reference', 'not a reference'], 2, /not an image reference/],
    [['--no-policy', '--namespace', 'prod'], 2, /--namespace is for --policy/],
  ])('%j exits %i', async (flags, code, message) => {
    await policyFile('high.yaml', HIGH);
    const r = await cli(['scan', alpine310(), ...flags]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
