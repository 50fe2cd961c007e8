import { describe, it, expect } from 'vitest';
import { familiarImageRef, formatImageRef, sameRepository, withDefaultTag } from './format.js';
import { parseImageRef } from './parse.js';
import type { ImageRef } from './types.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('formatImageRef and familiarImageRef', () => {
  // normalize_test.go TestParseRepositoryInfo: every spelling of a name yields the same
  // familiar and full forms.
  it.each([
    {
      spellings: ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar'],
      familiar: 'fooo/bar',
      full: 'docker.io/fooo/bar',
    },
    {
      spellings: ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu'],
      familiar: 'ubuntu',
      full: 'docker.io/library/ubuntu',
    },
    {
      spellings: ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu'],
      familiar: 'nonlibrary/ubuntu',
      full: 'docker.io/nonlibrary/ubuntu',
    },
    {
      spellings: ['other/library', 'docker.io/other/library'],
      familiar: 'other/library',
      full: 'docker.io/other/library',
    },
    {
      spellings: ['127.0.0.1:8000/private/moonbase'],
      familiar: '127.0.0.1:8000/private/moonbase',
      full: '127.0.0.1:8000/private/moonbase',
    },
    {
      spellings: ['127.0.0.1:8000/privatebase'],
      familiar: '127.0.0.1:8000/privatebase',
      full: '127.0.0.1:8000/privatebase',
    },
    {
      spellings: ['example.com/private/moonbase'],
      familiar: 'example.com/private/moonbase',
      full: 'example.com/private/moonbase',
    },
    {
      spellings: ['example.com/privatebase'],
      familiar: 'example.com/privatebase',
      full: 'example.com/privatebase',
    },
    {
      spellings: ['example.com:8000/private/moonbase'],
      familiar: 'example.com:8000/private/moonbase',
      full: 'example.com:8000/private/moonbase',
    },
    {
      spellings: ['example.com:8000/privatebasee'],
      familiar: 'example.com:8000/privatebasee',
      full: 'example.com:8000/privatebasee',
    },
    {
      spellings: [
        'ubuntu-12.04-base',
        'docker.io/library/ubuntu-12.04-base',
        'index.docker.io/library/ubuntu-12.04-base',
      ],
      familiar: 'ubuntu-12.04-base',
      full: 'docker.io/library/ubuntu-12.04-base',
    },
    {
      spellings: ['foo', 'docker.io/library/foo', 'docker.io/foo'],
      familiar: 'foo',
      full: 'docker.io/library/foo',
    },
    {
      spellings: ['library/foo/bar', 'docker.io/library/foo/bar'],
      familiar: 'library/foo/bar',
      full: 'docker.io/library/foo/bar',
    },
    {
      spellings: ['store/foo/bar', 'docker.io/store/foo/bar'],
      familiar: 'store/foo/bar',
      full: 'docker.io/store/foo/bar',
    },
    { spellings: ['Foo/bar'], familiar: 'Foo/bar', full: 'Foo/bar' },
    { spellings: ['FOO/bar'], familiar: 'FOO/bar', full: 'FOO/bar' },
  ])('gives $familiar and $full for every spelling', ({ spellings, familiar, full }) => {
    for (const s of spellings) {
      const ref = parseImageRef(s);
      expect(familiarImageRef(ref)).toBe(familiar);
      expect(formatImageRef(ref)).toBe(full);
    }
  });

  it.each([
    ['nginx:1.25', 'docker.io/library/nginx:1.25', 'nginx:1.25'],
    [`nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`, `nginx:1.25@${D}`],
    [`user/app@${D}`, `docker.io/user/app@${D}`, `user/app@${D}`],
    ['localhost:5000/app', 'localhost:5000/app', 'localhost:5000/app'],
    ['[::1]:5000/x:v1', '[::1]:5000/x:v1', '[::1]:5000/x:v1'],
    ['nginx', 'docker.io/library/nginx', 'nginx'],
  ])('formats %s as %s and familiarly as %s', (input, full, familiar) => {
    const ref = parseImageRef(input);
    expect(formatImageRef(ref)).toBe(full);
    expect(familiarImageRef(ref)).toBe(familiar);
    // Both forms parse back to the same reference.
    expect(parseImageRef(full)).toStrictEqual(ref);
    expect(parseImageRef(familiar)).toStrictEqual(ref);
  });
});

describe('withDefaultTag', () => {
  it.each<[ImageRef, ImageRef]>([
    [
      { registry: 'docker.io', repository: 'library/nginx' },
      { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
    ],
    [
      { registry: 'docker.io', repository: 'library/nginx', tag: '1' },
      { registry: 'docker.io', repository: 'library/nginx', tag: '1' },
    ],
    [
      { registry: 'docker.io', repository: 'library/nginx', digest: D },
      { registry: 'docker.io', repository: 'library/nginx', digest: D },
    ],
  ])('adds latest only when there is neither tag nor digest (%o)', (input, expected) => {
    expect(withDefaultTag(input)).toStrictEqual(expected);
  });
});

describe('sameRepository', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:1.25', true],
    ['nginx', 'index.docker.io/library/nginx', true],
    ['Example.com/app', 'example.com/app@' + D, true],
    ['example.com/app', 'example.com:443/app', false],
    ['nginx', 'user/nginx', false],
    ['ghcr.io/a/b', 'ghcr.io/a/b/c', false],
  ])('compares %s and %s: %s', (a, b, expected) => {
    expect(sameRepository(parseImageRef(a), parseImageRef(b))).toBe(expected);
  });

  it('treats a hand-built index.docker.io registry as Docker Hub', () => {
    expect(
      sameRepository(
        { registry: 'index.docker.io', repository: 'library/x' },
        { registry: 'docker.io', repository: 'library/x' },
      ),
    ).toBe(true);
  });
});
