import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { runCliCaptured } from '../testing/cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-cli-sbom-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (argv: string[]) => runCliCaptured(argv, work);

const alpine310 = () => `docker-archive:${sharedData('image-fixtures/trivy-test-images/alpine-310.tar.gz')}`;

describe('portcullis sbom', () => {
  it('writes CycloneDX 1.6 JSON with the image as root component and its apk packages', async () => {
    const r = await cli(['sbom', alpine310()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bom = JSON.parse(r.stdout) as {
      bomFormat: string;
      specVersion: string;
      metadata: { component: { type: string } };
      components: { purl?: string }[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component.type).toBe('container');
    expect(bom.components.map((c) => c.purl)).toContain(
      'pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=3.10.2',
    );
  });

  it('writes SPDX 2.3 JSON atomically to --output', async () => {
    const r = await cli(['sbom', alpine310(), '--format', 'spdx', '--output', 'out/bom.spdx.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(await readFile(path.join(work, 'out', 'bom.spdx.json'), 'utf8')) as {
      spdxVersion: string;
      packages: unknown[];
    };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.packages.length).toBeGreaterThan(10);
    expect(await readdir(path.join(work, 'out'))).toEqual(['bom.spdx.json']);
  });

  it.each([
    [['sbom'], /exactly one target/],
    [['sbom', 'x', '--format', 'xml'], /unknown --format "xml": expected cyclonedx or spdx/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
