import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from './errors.js';
import { readManifestInputs } from './read.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-read-'));
  await mkdir(path.join(dir, 'tree', 'b', 'c'), { recursive: true });
  await mkdir(path.join(dir, 'tree', '.git'), { recursive: true });
  await writeFile(path.join(dir, 'tree', 'z.yaml'), 'kind: A\n');
  await writeFile(path.join(dir, 'tree', 'a.JSON'), '{"kind": "B"}');
  await writeFile(path.join(dir, 'tree', 'b', 'c', 'm.yml'), 'kind: C\n');
  await writeFile(path.join(dir, 'tree', 'b', 'readme.md'), 'no');
  await writeFile(path.join(dir, 'tree', '.git', 'x.yaml'), 'kind: Old\n');
  await symlink(path.join(dir, 'tree'), path.join(dir, 'tree', 'b', 'loop'));
  await writeFile(path.join(dir, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
  await writeFile(path.join(dir, 'one.yaml'), 'kind: D\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const io = (stdin = '') => ({ cwd: dir, stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]) });

async function readError(paths: string[], stdin = '', maxBytes?: number): Promise<ManifestError> {
  try {
    await readManifestInputs(paths, io(stdin), maxBytes === undefined ? {} : { maxBytes });
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('readManifestInputs', () => {
  it('reads named files, directories (sorted, recursive, manifest extensions only, not .git, no symlinked dirs) and stdin', async () => {
    const inputs = await readManifestInputs(['one.yaml', 'tree', '-'], io('kind: E\n'));
    expect(inputs.map((i) => [i.file, i.text, i.found ?? false])).toEqual([
      ['one.yaml', 'kind: D\n', false],
      [path.join('tree', 'a.JSON'), '{"kind": "B"}', true],
      [path.join('tree', 'b', 'c', 'm.yml'), 'kind: C\n', true],
      [path.join('tree', 'z.yaml'), 'kind: A\n', true],
      ['-', 'kind: E\n', false],
    ]);
  });

  it.each([
    [['missing.yaml'], 'MANIFESTS_UNREADABLE', /^missing\.yaml: cannot read: .*ENOENT/],
    [['latin1.yaml'], 'MANIFESTS_INVALID', /^latin1\.yaml: not UTF-8 text$/],
    [['-', '-'], 'MANIFESTS_UNREADABLE', /stdin may be given once/],
  ])('refuses %j', async (paths, code, message) => {
    const err = await readError(paths);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('enforces the byte cap on files and stdin', async () => {
    expect((await readError(['one.yaml'], '', 4)).message).toBe(
      'one.yaml: 8 bytes, larger than the 4-byte limit for manifests',
    );
    expect((await readError(['-'], 'kind: Pod\n', 4)).code).toBe('MANIFESTS_TOO_LARGE');
  });
});
