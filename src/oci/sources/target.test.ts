import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRef } from '../../imageref/index.js';
import type { ImageSource } from '../image.js';
import { OciArchiveSource } from './archive.js';
import { DockerArchiveSource } from './dockerarchive.js';
import { OciLayoutSource } from './layout.js';
import { RootfsSource } from './rootfs.js';
import { isValidLayoutRefName, openImageSource, parseTarget, type Target } from './target.js';
import { tempDir } from '../../testing/source-helpers.js';

let cwd: string;
beforeAll(async () => {
  cwd = await tempDir('portcullis-target-');
  await mkdir(path.join(cwd, 'lay'));
  await mkdir(path.join(cwd, 'dir:with:colons'));
  await writeFile(path.join(cwd, 'file.tar'), '');
  await writeFile(path.join(cwd, 'name@2'), '');
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseTarget', () => {
  // Paths in expectations are relative to the test's cwd; `abs` makes them absolute.
  const cases: { input: string; want: Target }[] = [
    {
      input: 'alpine',
      want: {
        kind: 'docker',
        reference: 'alpine',
        ref: { registry: 'docker.io', repository: 'library/alpine' },
      },
    },
    {
      input: 'docker://ghcr.io/org/app:1.0',
      want: {
        kind: 'docker',
        reference: 'ghcr.io/org/app:1.0',
        ref: { registry: 'ghcr.io', repository: 'org/app', tag: '1.0' },
      },
    },
    {
      input: `localhost:5000/team/app@${DIGEST}`,
      want: {
        kind: 'docker',
        reference: `localhost:5000/team/app@${DIGEST}`,
        ref: { registry: 'localhost:5000', repository: 'team/app', digest: DIGEST },
      },
    },
    { input: 'oci:lay', want: { kind: 'oci', path: 'lay', tag: undefined } },
    { input: 'oci:lay:v1.2', want: { kind: 'oci', path: 'lay', tag: 'v1.2' } },
    // ref.name may contain ':' (OCI annotation grammar): the split moves left until the path exists.
    { input: 'oci:lay:sample:latest', want: { kind: 'oci', path: 'lay', tag: 'sample:latest' } },
    { input: 'oci:dir:with:colons', want: { kind: 'oci', path: 'dir:with:colons', tag: undefined } },
    { input: 'oci:dir:with:colons:tag', want: { kind: 'oci', path: 'dir:with:colons', tag: 'tag' } },
    { input: 'oci:missing:tag', want: { kind: 'oci', path: 'missing:tag', tag: undefined } },
    { input: 'oci:lay:not a tag', want: { kind: 'oci', path: 'lay:not a tag', tag: undefined } },
    { input: 'oci-archive:file.tar:t', want: { kind: 'oci-archive', path: 'file.tar', tag: 't' } },
    { input: 'oci-archive:file.tar', want: { kind: 'oci-archive', path: 'file.tar', tag: undefined } },
    {
      input: 'docker-archive:file.tar',
      want: { kind: 'docker-archive', path: 'file.tar', selector: undefined },
    },
    {
      input: 'docker-archive:file.tar:alpine:3.10',
      want: {
        kind: 'docker-archive',
        path: 'file.tar',
        selector: { kind: 'reference', reference: 'alpine:3.10' },
      },
    },
    {
      input: 'docker-archive:file.tar:localhost:5000/x:1',
      want: {
        kind: 'docker-archive',
        path: 'file.tar',
        selector: { kind: 'reference', reference: 'localhost:5000/x:1' },
      },
    },
    {
      input: 'docker-archive:file.tar@1',
      want: { kind: 'docker-archive', path: 'file.tar', selector: { kind: 'index', index: 1 } },
    },
    {
      input: 'docker-archive:file.tar:@0',
      want: { kind: 'docker-archive', path: 'file.tar', selector: { kind: 'index', index: 0 } },
    },
    // A file whose name ends in @N is a file when the part before "@" does not exist.
    { input: 'docker-archive:name@2', want: { kind: 'docker-archive', path: 'name@2', selector: undefined } },
    { input: 'rootfs:lay', want: { kind: 'rootfs', path: 'lay' } },
    { input: 'rootfs:/abs/root', want: { kind: 'rootfs', path: '/abs/root' } },
  ];

  it.each(cases)('parses $input', ({ input, want }) => {
    const abs = (t: Target): Target => ('path' in t ? { ...t, path: path.resolve(cwd, t.path) } : t);
    expect(parseTarget(input, { cwd })).toEqual(abs(want));
  });

  it.each([
    { input: '', why: /it is empty/ },
    { input: 'oci:', why: /nothing follows "oci:"/ },
    { input: 'docker://', why: /nothing follows "docker:\/\/"/ },
    { input: 'docker://Not Valid', why: /invalid image reference/ },
    { input: 'dir:/tmp/x', why: /the "dir:" transport is not supported/ },
    { input: 'containers-storage:alpine', why: /the "containers-storage:" transport is not supported/ },
    { input: 'https://example.com/app', why: /only docker:\/\/ URLs are image targets/ },
    { input: 'Alpine:3', why: /must be lower-case/ },
    {
      input: './file.tar',
      why: /\.\/file\.tar is a local path: prefix it with docker-archive:, oci-archive:, oci: or rootfs:/,
    },
    { input: `oci:${'x'.repeat(5000)}`, why: /longer than 4096 characters/ },
  ])('refuses $input with TARGET_INVALID listing the accepted forms', ({ input, why }) => {
    let caught: unknown;
    try {
      parseTarget(input, { cwd });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'TARGET_INVALID' });
    const message = (caught as Error).message;
    expect(message).toMatch(why);
    expect(message).toContain('accepted forms: docker://REF');
    expect(message).toContain('docker-archive:FILE[:REPO:TAG|@N]');
  });
});

describe('isValidLayoutRefName', () => {
  it.each([
    ['latest', true],
    ['v1.2.3', true],
    ['sample:latest', true],
    ['org/app:1--rc', true],
    ['a+b@c', true],
    ['', false],
    ['-leading', false],
    ['trailing.', false],
    ['has space', false],
    ['double//slash', false],
    ['x'.repeat(257), false],
  ])('%s is %s', (name, valid) => {
    expect(isValidLayoutRefName(name)).toBe(valid);
  });
});

describe('openImageSource', () => {
  it.each([
    { target: 'oci:lay:t', type: OciLayoutSource, kind: 'oci' },
    { target: 'oci-archive:file.tar', type: OciArchiveSource, kind: 'oci-archive' },
    { target: 'docker-archive:file.tar@0', type: DockerArchiveSource, kind: 'docker-archive' },
    { target: 'rootfs:lay', type: RootfsSource, kind: 'rootfs' },
  ])('makes the $kind source for $target without reading it', async ({ target, type, kind }) => {
    const source = await openImageSource(target, { cwd });
    expect(source).toBeInstanceOf(type);
    expect(source.kind).toBe(kind);
  });

  it('hands registry references to the injected factory, parsed', async () => {
    const seen: ImageRef[] = [];
    const fake: ImageSource = {
      kind: 'docker',
      open: () => Promise.reject(new Error('unused')),
      close: () => Promise.resolve(),
    };
    const source = await openImageSource('docker://alpine:3.19', {
      registry: (ref) => {
        seen.push(ref);
        return fake;
      },
    });
    expect(source).toBe(fake);
    expect(seen).toEqual([{ registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }]);
  });

  it('refuses a registry reference when no registry factory is given', async () => {
    await expect(openImageSource('alpine:3.19')).rejects.toMatchObject({ code: 'SOURCE_INVALID' });
  });

  it('refuses a malformed target with TARGET_INVALID', async () => {
    await expect(openImageSource('dir:/x')).rejects.toMatchObject({ code: 'TARGET_INVALID' });
  });
});
