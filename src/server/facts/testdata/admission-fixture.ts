// Test-only (excluded from the build with testdata/): the real registry, images, keys and
// vulnerability database that the fact source tests and the webhook end-to-end tests share.
// Images: src/testing/signing-fixtures.ts builds two small distinct images; alpine 3.9 and 3.10
// come from ../shared/data/image-fixtures/trivy-test-images (Trivy's integration test images),
// and the database from Trivy's fixture DB (src/testing/trivy-fixture-db.ts), in which alpine 3.9's
// musl has the critical CVE-2019-14697 and alpine 3.10's highest finding is below critical.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { signImage } from '../../../signing/index.js';
import { sharedData } from '../../../testing/fixtures.js';
import { runCommand } from '../../../testing/oci-images.js';
import { requireCommand } from '../../../testing/registry.js';
import { startSigningFixture, type SigningFixture } from '../../../testing/signing-fixtures.js';
import { trivyFixtureRecords } from '../../../testing/trivy-fixture-db.js';
import { openVulnDb, type VulnDb } from '../../../vulndb/index.js';

export type TestKey = { readonly privateKey: KeyObject; readonly publicPem: string };

export type AdmissionFixture = {
  readonly signing: SigningFixture;
  /** The vulnerability database, opened read-only. */
  readonly db: VulnDb;
  /** The key the policies trust, and another one. */
  readonly trusted: TestKey;
  readonly other: TestKey;
  /** Image references (tags) in the registry. */
  readonly images: {
    /** Signed with `trusted`. */
    readonly signed: string;
    readonly unsigned: string;
    /** Signed with `other` only. */
    readonly otherKey: string;
    /** alpine 3.9: critical CVE-2019-14697 in musl. */
    readonly critical: string;
    /** alpine 3.10: findings, none critical. */
    readonly noCritical: string;
  };
  /** Pushes a docker-archive from trivy-test-images (gzip) to `dest` (`host/repo:tag`). */
  pushTrivyImage(name: string, dest: string): Promise<void>;
  /** Stops the registry (for the registry-down cases); close() still cleans up. */
  stopRegistry(): Promise<void>;
  close(): Promise<void>;
};

function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * Pushes trivy-test-images' `<name>.tar.gz` (a docker-archive) to each of `dests`
 * (`host/repo:tag`), unpacked once into `dir`: skopeo's docker-archive reader does not take a
 * gzip-compressed archive. `authFile` carries credentials (never argv); `format: 'oci'` pushes
 * an OCI manifest, which an OCI layout can hold unchanged (a pull keeps the pushed digest).
 */
export async function pushTrivyArchive(
  name: string,
  dir: string,
  dests: readonly string[],
  opts: { readonly authFile?: string; readonly format?: 'oci' } = {},
): Promise<void> {
  const tar = path.join(dir, `${name}.tar`);
  await pipeline(
    createReadStream(sharedData('image-fixtures', 'trivy-test-images', `${name}.tar.gz`)),
    createGunzip(),
    createWriteStream(tar),
  );
  for (const dest of dests) {
    await runCommand('skopeo', [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      ...(opts.authFile === undefined ? [] : ['--dest-authfile', opts.authFile]),
      ...(opts.format === undefined ? [] : ['--format', opts.format]),
      `docker-archive:${tar}`,
      `docker://${dest}`,
    ]);
  }
}

/** Writes Trivy's fixture database (as OSV records) to `file` and opens it read-only. */
export function openTrivyFixtureDb(file: string): VulnDb {
  const writable = openVulnDb(file);
  writable.importRecords(trivyFixtureRecords(), {
    name: 'trivy-fixture-db',
    kind: 'test',
    location: 'fixture-db',
  });
  writable.close();
  return openVulnDb(file, { readonly: true });
}

/** Starts the registry, pushes and signs the images, and builds the database. */
export async function startAdmissionFixture(): Promise<AdmissionFixture> {
  requireCommand('skopeo', 'skopeo');
  const work = await mkdtemp(path.join(os.tmpdir(), 'pc-admission-facts-'));
  const signing = await startSigningFixture('pc-admission-images-');
  const pushTrivyImage = (name: string, dest: string): Promise<void> => pushTrivyArchive(name, work, [dest]);
  try {
    const db = openTrivyFixtureDb(path.join(work, 'vuln.db'));

    const trusted = newKey();
    const other = newKey();
    const host = signing.registry.host;
    const signed = await signing.push('one', 'team/signed', 'v1');
    await signImage(signing.client, signed, trusted.privateKey);
    const unsigned = await signing.push('two', 'team/unsigned', 'v1');
    const otherKey = await signing.push('two', 'team/other-key', 'v1');
    await signImage(signing.client, otherKey, other.privateKey);
    await pushTrivyImage('alpine-39', `${host}/base/alpine:3.9`);
    await pushTrivyImage('alpine-310', `${host}/base/alpine:3.10`);
    const tagged = (r: typeof signed): string => `${r.registry}/${r.repository}:${r.tag ?? ''}`;
    return {
      signing,
      db,
      trusted,
      other,
      images: {
        signed: tagged(signed),
        unsigned: tagged(unsigned),
        otherKey: tagged(otherKey),
        critical: `${host}/base/alpine:3.9`,
        noCritical: `${host}/base/alpine:3.10`,
      },
      pushTrivyImage,
      // Stopping twice is harmless: close() stops it again.
      stopRegistry: () => signing.registry.stop(),
      async close() {
        db.close();
        await signing.close();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await signing.close();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** A policy document (YAML) with the given rules, each a YAML list item (indented two spaces). */
export function policyYaml(rules: readonly string[]): string {
  return ['apiVersion: portcullis.dev/v1alpha1', 'kind: Policy', 'rules:', ...rules].join('\n');
}

/** A requireSignature rule trusting `pem`, as a YAML list item. */
export function signatureRule(name: string, pem: string, extra: readonly string[] = []): string {
  const indented = pem
    .trim()
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n');
  return [
    `  - name: ${name}`,
    '    kind: requireSignature',
    '    mode: enforce',
    ...extra.map((l) => `    ${l}`),
    '    keys:',
    '      - pem: |',
    indented,
  ].join('\n');
}
