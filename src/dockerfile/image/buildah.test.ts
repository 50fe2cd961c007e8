import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageSource, type LayeredImage } from '../../oci/index.js';
import type { LintFinding } from '../../report/index.js';
import { debianFixture } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/cli.js';
import { requireCommand } from '../../testing/registry.js';
import { lintDockerfile } from '../lint.js';
import { auditImage } from './index.js';

// Acceptance: a real image built by buildah (--isolation chroot, vfs storage, as TEST-INFRA.md
// describes) from a Dockerfile that takes a token as a build arg and copies, then deletes, an
// SSH key. The image audit must find the build arg in the history and the key in the lower
// layer; the Dockerfile lint must find both in the Dockerfile; nothing may print either secret.

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A fresh token in GitHub's shape: fake, but one the secret engine recognises. */
const TOKEN = `ghp_${Array.from(randomBytes(36), (b) => ALNUM[b % ALNUM.length] ?? 'x').join('')}`;
/** A freshly generated throwaway key, never used for anything. */
const KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'pem', type: 'pkcs1' })
  .toString();
const KEY_LINES = KEY.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

const DOCKERFILE = `FROM oci:BASE:bookworm
ARG TOKEN
COPY id_rsa /root/.ssh/id_rsa
RUN test -n "$TOKEN" && rm /root/.ssh/id_rsa
`;

// buildah derives an image name from the path of an oci: base, so the path must be a valid
// reference: lower case, no dot-directories (the fixture lives under .cache).
const work = path.join(os.tmpdir(), `portcullis-buildah-${randomBytes(6).toString('hex')}`);

/**
 * Runs buildah with private storage under `work`, so tests never share state. The token comes
 * from the environment (`--build-arg TOKEN` without a value), so no argv or error message holds it.
 */
function buildah(args: readonly string[]): Promise<void> {
  const storage = [
    '--root',
    path.join(work, 'root'),
    '--runroot',
    path.join(work, 'runroot'),
    '--storage-driver',
    'vfs',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'buildah',
      [...storage, ...args],
      { env: { ...process.env, TOKEN }, maxBuffer: 64 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err)
          reject(new Error(`buildah ${args[0] ?? ''} failed: ${stderr.split(TOKEN).join('<token>').trim()}`));
        else resolve();
      },
    );
  });
}

let image: LayeredImage;
let close: () => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  requireCommand('buildah', 'buildah');
  const { layout } = debianFixture();
  const ctx = path.join(work, 'ctx');
  await mkdir(ctx, { recursive: true });
  await symlink(layout, path.join(work, 'base'));
  await writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE.replace('BASE', path.join(work, 'base')));
  await writeFile(path.join(ctx, 'id_rsa'), KEY, { mode: 0o600 });
  // --layers keeps one layer per instruction (buildah squashes the build into one otherwise),
  // which is what makes the deleted key survive in a lower layer.
  await buildah([
    'bud',
    '--layers',
    '--isolation',
    'chroot',
    '--build-arg',
    'TOKEN',
    '-t',
    'localhost/audit:test',
    ctx,
  ]);
  await buildah(['push', 'localhost/audit:test', `oci:${path.join(work, 'out')}:audit`]);
  const source = await openImageSource(`oci:${path.join(work, 'out')}:audit`);
  const opened = await source.open();
  close = () => source.close();
  if (opened.kind !== 'layered') throw new Error('expected a layered image');
  image = opened;
}, 300_000);

afterAll(async () => {
  await close();
  await rm(work, { recursive: true, force: true });
});

function assertNoSecrets(findings: readonly LintFinding[]): void {
  const text = JSON.stringify(findings);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN.slice(4, 20));
  for (const line of KEY_LINES) expect(text).not.toContain(line);
}

describe('a buildah-built image with a leaked build arg and a deleted key', () => {
  it('is audited: the build arg from history, the key in its lower layer', async () => {
    const findings = await auditImage(image, { target: `oci:${path.join(work, 'out')}:audit` });
    const copyLayer = image.layers.findIndex((l) => l.history?.created_by?.includes('COPY') === true);
    const runLayer = image.layers.findIndex(
      (l) => l.history?.created_by?.includes('rm /root/.ssh/id_rsa') === true,
    );
    expect(copyLayer).toBeGreaterThan(0);
    expect(runLayer).toBeGreaterThan(copyLayer);

    const leak = findings.filter((f) => f.ruleId === 'PC-IMG-003');
    expect(leak).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: expect.stringMatching(
          /^history entry \d+: build arg TOKEN holds a github token \(ghp\*+\)$/,
        ) as unknown,
        layer: { index: runLayer, digest: image.layers[runLayer]?.descriptor.digest },
      }),
    ]);

    const key = findings.filter((f) => f.ruleId === 'PC-IMG-004');
    expect(key).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: `SSH private key /root/.ssh/id_rsa: deleted by layer ${runLayer}, but still in layer ${copyLayer} for anyone who pulls the image`,
        layer: { index: copyLayer, digest: image.layers[copyLayer]?.descriptor.digest },
      }),
    ]);
    // Debian's own setuid programs are listed for review; the root user is reported too.
    expect(findings.filter((f) => f.ruleId === 'PC-IMG-006').length).toBeGreaterThan(3);
    expect(findings.map((f) => f.ruleId)).toContain('PC-IMG-001');
    assertNoSecrets(findings);
  });

  it('has its Dockerfile linted: the secret ARG and the COPY of the key', () => {
    const findings = lintDockerfile(DOCKERFILE, 'Dockerfile');
    expect(findings.filter((f) => f.ruleId === 'PC-DF-014').map((f) => f.line)).toEqual([2]);
    expect(findings.filter((f) => f.ruleId === 'PC-DF-016').map((f) => f.line)).toEqual([3]);
  });

  it.each(['text', 'json', 'sarif'])(
    'is reported by `portcullis lint --image` with its Dockerfile (%s), without either secret',
    async (format) => {
      const run = await runCliCaptured(
        [
          'lint',
          '--image',
          `oci:${path.join(work, 'out')}:audit`,
          path.join(work, 'ctx', 'Dockerfile'),
          '--format',
          format,
          '--fail-on',
          'critical',
        ],
        work,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(1);
      for (const id of ['PC-IMG-003', 'PC-IMG-004', 'PC-DF-014', 'PC-DF-016'])
        expect(run.stdout).toContain(id);
      expect(run.stdout).not.toContain(TOKEN);
      expect(run.stdout).not.toContain(TOKEN.slice(4, 20));
      for (const line of KEY_LINES) expect(run.stdout).not.toContain(line);
    },
  );
});
