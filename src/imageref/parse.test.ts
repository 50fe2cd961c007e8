import { describe, it, expect } from 'vitest';
import { ImageRefError, type ImageRefErrorCode } from './errors.js';
import {
  isValidRepositoryPath,
  isValidTag,
  parseImageRef,
  parseRepository,
  tryParseImageRef,
} from './parse.js';
import type { ImageRef } from './types.js';

// Cases from github.com/distribution/reference reference_test.go (TestReferenceParse,
// TestSerialization, TestParseNamed) and normalize_test.go (TestNormalizedSplitHostname,
// TestParseAnyReference, TestParseReferenceWithTagAndDigest), restated with the normalization
// distribution's ParseNormalizedNamed applies: the expected value is the normalized reference.

const F64 = 'f'.repeat(64);
const F128 = 'f'.repeat(128);
const DBCC = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

const valid: [input: string, expected: ImageRef][] = [
  // TestReferenceParse
  ['test_com', { registry: 'docker.io', repository: 'library/test_com' }],
  ['test.com:tag', { registry: 'docker.io', repository: 'library/test.com', tag: 'tag' }],
  ['test.com:5000', { registry: 'docker.io', repository: 'library/test.com', tag: '5000' }],
  ['test.com/repo:tag', { registry: 'test.com', repository: 'repo', tag: 'tag' }],
  ['test:5000/repo', { registry: 'test:5000', repository: 'repo' }],
  ['test:5000/repo:tag', { registry: 'test:5000', repository: 'repo', tag: 'tag' }],
  [`test:5000/repo@sha256:${F64}`, { registry: 'test:5000', repository: 'repo', digest: `sha256:${F64}` }],
  [
    `test:5000/repo:tag@sha256:${F64}`,
    { registry: 'test:5000', repository: 'repo', tag: 'tag', digest: `sha256:${F64}` },
  ],
  ['lowercase:Uppercase', { registry: 'docker.io', repository: 'library/lowercase', tag: 'Uppercase' }],
  [
    `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
    { registry: 'docker.io', repository: `${'a/'.repeat(127)}a`, tag: 'tag-puts-this-over-max' },
  ],
  ['sub-dom1.foo.com/bar/baz/quux', { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux' }],
  [
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux', tag: 'some-long-tag' },
  ],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    { registry: 'b.gcr.io', repository: 'test.example.com/my-app', tag: 'test.example.com' },
  ],
  ['xn--n3h.com/myimage:xn--n3h.com', { registry: 'xn--n3h.com', repository: 'myimage', tag: 'xn--n3h.com' }],
  [
    `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${F128}`,
    { registry: 'xn--7o8h.com', repository: 'myimage', tag: 'xn--7o8h.com', digest: `sha512:${F128}` },
  ],
  ['foo_bar.com:8080', { registry: 'docker.io', repository: 'library/foo_bar.com', tag: '8080' }],
  ['foo/foo_bar.com:8080', { registry: 'docker.io', repository: 'foo/foo_bar.com', tag: '8080' }],
  ['192.168.1.1', { registry: 'docker.io', repository: 'library/192.168.1.1' }],
  ['192.168.1.1:tag', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: 'tag' }],
  ['192.168.1.1:5000', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: '5000' }],
  ['192.168.1.1/repo', { registry: '192.168.1.1', repository: 'repo' }],
  ['192.168.1.1:5000/repo', { registry: '192.168.1.1:5000', repository: 'repo' }],
  ['192.168.1.1:5000/repo:5050', { registry: '192.168.1.1:5000', repository: 'repo', tag: '5050' }],
  ['[2001:db8::1]/repo', { registry: '[2001:db8::1]', repository: 'repo' }],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', { registry: '[2001:db8:1:2:3:4:5:6]', repository: 'repo', tag: 'tag' }],
  ['[2001:db8::1]:5000/repo', { registry: '[2001:db8::1]:5000', repository: 'repo' }],
  ['[2001:db8::1]:5000/repo:tag', { registry: '[2001:db8::1]:5000', repository: 'repo', tag: 'tag' }],
  [
    `[2001:db8::1]:5000/repo@sha256:${F64}`,
    { registry: '[2001:db8::1]:5000', repository: 'repo', digest: `sha256:${F64}` },
  ],
  [
    `[2001:db8::1]:5000/repo:tag@sha256:${F64}`,
    { registry: '[2001:db8::1]:5000', repository: 'repo', tag: 'tag', digest: `sha256:${F64}` },
  ],
  ['[2001:db8::]:5000/repo', { registry: '[2001:db8::]:5000', repository: 'repo' }],
  ['[::1]:5000/repo', { registry: '[::1]:5000', repository: 'repo' }],
  // TestSerialization
  ['example.com:8000/named:tagged', { registry: 'example.com:8000', repository: 'named', tag: 'tagged' }],
  [
    'other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112',
    {
      registry: 'other.com',
      repository: 'named',
      digest: 'sha256:1234567890098765432112345667890098765432112345667890098765432112',
    },
  ],
  // TestNormalizedSplitHostname
  ['test.com/foo', { registry: 'test.com', repository: 'foo' }],
  ['test_com/foo', { registry: 'docker.io', repository: 'test_com/foo' }],
  ['docker/migrator', { registry: 'docker.io', repository: 'docker/migrator' }],
  ['test.com:8080/foo', { registry: 'test.com:8080', repository: 'foo' }],
  ['test-com:8080/foo', { registry: 'test-com:8080', repository: 'foo' }],
  ['foo', { registry: 'docker.io', repository: 'library/foo' }],
  ['xn--n3h.com/foo', { registry: 'xn--n3h.com', repository: 'foo' }],
  ['xn--n3h.com:18080/foo', { registry: 'xn--n3h.com:18080', repository: 'foo' }],
  ['docker.io/foo', { registry: 'docker.io', repository: 'library/foo' }],
  ['docker.io/library/foo', { registry: 'docker.io', repository: 'library/foo' }],
  ['docker.io/library/foo/bar', { registry: 'docker.io', repository: 'library/foo/bar' }],
  // TestParseAnyReference (the name forms) and TestParseReferenceWithTagAndDigest
  ['redis:latest', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
  [`redis@sha256:${DBCC}`, { registry: 'docker.io', repository: 'library/redis', digest: `sha256:${DBCC}` }],
  ['dmcgowan/myapp:latest', { registry: 'docker.io', repository: 'dmcgowan/myapp', tag: 'latest' }],
  [DBCC.slice(0, 63), { registry: 'docker.io', repository: `library/${DBCC.slice(0, 63)}` }],
  ['dbcc1', { registry: 'docker.io', repository: 'library/dbcc1' }],
  [
    'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
    {
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: 'latest',
      digest: 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
    },
  ],
  // regexp_test.go TestReferenceRegexp: a bare "localhost" is a name, and what follows ":" a tag.
  [
    `localhost:8080@sha256:${DBCC}`,
    { registry: 'docker.io', repository: 'library/localhost', tag: '8080', digest: `sha256:${DBCC}` },
  ],
  [
    `localhost@sha256:${DBCC}`,
    { registry: 'docker.io', repository: 'library/localhost', digest: `sha256:${DBCC}` },
  ],
  [
    `localhost:8080/name@sha256:${DBCC}`,
    { registry: 'localhost:8080', repository: 'name', digest: `sha256:${DBCC}` },
  ],
  [
    'registry.io/foo/project--id.module--name.ver---sion--name',
    { registry: 'registry.io', repository: 'foo/project--id.module--name.ver---sion--name' },
  ],
  ['Asdf.com/foo/bar', { registry: 'Asdf.com', repository: 'foo/bar' }],
  // The ones this project leans on.
  ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
  ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
  ['index.docker.io/library/nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
  ['index.docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
  ['localhost/app', { registry: 'localhost', repository: 'app' }],
  ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app' }],
  ['127.0.0.1:5055/x', { registry: '127.0.0.1:5055', repository: 'x' }],
  ['[::1]:5000/x:v1', { registry: '[::1]:5000', repository: 'x', tag: 'v1' }],
  ['ghcr.io/org/team/app:v1.2.3', { registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2.3' }],
  // A host that differs only in case is kept as written: the grammar allows it.
  ['Foo/bar', { registry: 'Foo', repository: 'bar' }],
  ['FOO/bar', { registry: 'FOO', repository: 'bar' }],
  [`repo:${'t'.repeat(128)}`, { registry: 'docker.io', repository: 'library/repo', tag: 't'.repeat(128) }],
  ['repo:_under', { registry: 'docker.io', repository: 'library/repo', tag: '_under' }],
];

const invalid: [input: string, code: ImageRefErrorCode][] = [
  // TestReferenceParse
  ['', 'REF_EMPTY'],
  [':justtag', 'REF_INVALID_FORMAT'],
  [`@sha256:${F64}`, 'REF_INVALID_FORMAT'],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'REF_DIGEST_INVALID'],
  [`validname@invaliddigest:${F64}`, 'REF_DIGEST_INVALID'],
  ['Uppercase:tag', 'REF_UPPERCASE'],
  ['test:5000/Uppercase/lowercase:tag', 'REF_UPPERCASE'],
  [`${'a/'.repeat(128)}a:tag`, 'REF_NAME_TOO_LONG'],
  ['aa/asdf$$^/aa', 'REF_INVALID_FORMAT'],
  ['[2001:db8::1]', 'REF_INVALID_FORMAT'],
  ['[2001:db8::1]:5000', 'REF_INVALID_FORMAT'],
  ['[2001:db8::1]:tag', 'REF_INVALID_FORMAT'],
  ['[fe80::1%eth0]:5000/repo', 'REF_INVALID_FORMAT'],
  ['[fe80::1%@invalidzone]:5000/repo', 'REF_INVALID_FORMAT'],
  // TestParseAnyReference: a bare image ID is not a name.
  [DBCC, 'REF_INVALID_FORMAT'],
  // regexp_test.go TestReferenceRegexp
  ['registry.com:8080/myapp@sha256:badbadbadbad', 'REF_DIGEST_INVALID'],
  ['registry.com:8080/myapp:invalid~tag', 'REF_TAG_INVALID'],
  ['bad_hostname.com:8080/myapp:tag', 'REF_INVALID_FORMAT'],
  [`localhost:http/name@sha256:${DBCC}`, 'REF_INVALID_FORMAT'],
  ['registry.com:8080/myapp@bad', 'REF_DIGEST_INVALID'],
  ['registry.com:8080/myapp@2bad', 'REF_DIGEST_INVALID'],
  ['Foo/FarB', 'REF_UPPERCASE'],
  // Tags
  ['repo:', 'REF_TAG_INVALID'],
  ['repo:-tag', 'REF_TAG_INVALID'],
  ['repo:.tag', 'REF_TAG_INVALID'],
  [`repo:${'t'.repeat(129)}`, 'REF_TAG_INVALID'],
  ['repo:a:b', 'REF_TAG_INVALID'],
  // Digests: only what core accepts (sha256, sha512; lower-case hex of the right length).
  [`repo@sha256:${'F'.repeat(64)}`, 'REF_DIGEST_INVALID'],
  [`repo@sha512:${F64}`, 'REF_DIGEST_INVALID'],
  [`repo@blake3:${F64}`, 'REF_DIGEST_INVALID'],
  [`repo@sha256:${F64}@sha256:${F64}`, 'REF_DIGEST_INVALID'],
  ['repo@', 'REF_DIGEST_INVALID'],
  // Whitespace and other characters are never part of a reference.
  [' nginx', 'REF_INVALID_FORMAT'],
  ['nginx ', 'REF_INVALID_FORMAT'],
  ['ngïnx', 'REF_INVALID_FORMAT'],
  ['docker.io/', 'REF_INVALID_FORMAT'],
  ['/nginx', 'REF_INVALID_FORMAT'],
  ['x'.repeat(5000), 'REF_TOO_LONG'],
];

// normalize_test.go TestValidateReferenceName and TestValidateRemoteName.
const validNames = [
  'docker/docker',
  'library/debian',
  'debian',
  'docker.io/docker/docker',
  'docker.io/library/debian',
  'docker.io/debian',
  'index.docker.io/docker/docker',
  'index.docker.io/library/debian',
  'index.docker.io/debian',
  '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian',
  '127.0.0.1:5000/debian',
  '192.168.0.1',
  '192.168.0.1:80',
  '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian',
  'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
  '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker',
  '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'Docker/docker',
  'DOCKER/docker',
  'docker-rules/docker',
  'docker---rules/docker',
  'doc/docker',
  'd/docker',
  'jess/t',
  'dock__er/docker',
];

const invalidNames = [
  'https://github.com/docker/docker',
  'docker/Docker',
  '-docker',
  '-docker/docker',
  '-docker.io/docker/docker',
  'docker///docker',
  'docker.io/docker/Docker',
  'docker.io/docker///docker',
  '[fc00::1]',
  '[fc00::1]:5000',
  'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian',
  '[2001:db8:3:4::192.0.2.33]:5000/debian',
  '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'docker-/docker',
  '-docker-/docker',
  '____/____',
  '_docker/_docker',
  'dock..er/docker',
  'dock_.er/docker',
  'dock-.er/docker',
  'docker/',
  'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ImageRefError ? err.code : `not an ImageRefError: ${String(err)}`;
  }
  return undefined;
}

describe('parseImageRef', () => {
  it.each(valid)('normalizes %s', (input, expected) => {
    expect(parseImageRef(input)).toStrictEqual(expected);
  });

  it.each(invalid)('refuses %s with %s', (input, code) => {
    expect(codeOf(() => parseImageRef(input))).toBe(code);
  });

  it.each(validNames)('accepts the name %s', (input) => {
    expect(() => parseImageRef(input)).not.toThrow();
  });

  it.each(invalidNames)('refuses the name %s', (input) => {
    expect(codeOf(() => parseImageRef(input))).toBeDefined();
  });

  it('names the input and what was expected in its message', () => {
    const cases: [input: string, expected: RegExp][] = [
      ['docker/Docker:1', /"docker\/Docker:1".*must be lower-case/],
      ['repo:-x', /"repo:-x".*tag "-x" is invalid: expected/],
      [`repo@blake3:${F64}`, /algorithm "blake3" is not supported: expected sha256/],
      ['repo@sha256:abc', /exactly 64 lower-case hex/],
      [`${'a.'.repeat(200)}a/b`, /registry is longer than 259 characters/],
      ['', /empty.*for example nginx/],
      ['foo_bar.com:8080/app', /registry "foo_bar.com:8080" is not a valid host\[:port\]/],
    ];
    for (const [input, expected] of cases) {
      expect(() => parseImageRef(input)).toThrow(expected);
    }
  });

  it('truncates long input in its message', () => {
    const input = `${'a'.repeat(3000)}!`;
    let message = '';
    try {
      parseImageRef(input);
    } catch (err) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toMatch(/…\(3001 chars\)/);
    expect(message.length).toBeLessThan(600);
  });

  it('keeps tag and digest apart from the registry port', () => {
    expect(parseImageRef(`localhost:5000/a/b:c@sha256:${F64}`)).toStrictEqual({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: 'c',
      digest: `sha256:${F64}`,
    });
  });

  it('rejects hostile inputs of maximal length quickly', () => {
    const hostile = [
      `${'a'.repeat(4095)}!`,
      `${'a-'.repeat(2047)}!`,
      `${'a_'.repeat(2047)}_!`,
      `x.com/${'a.'.repeat(2040)}!`,
      `${'a.'.repeat(2040)}a/b`,
      `${'a'.repeat(4000)}-:5000/b`,
      `repo:${'_'.repeat(4000)}`,
      `repo@${'a+'.repeat(2000)}:ff`,
      `repo@sha256:${'f'.repeat(4000)}`,
      `[${':'.repeat(4000)}/x`,
    ];
    for (const input of hostile) {
      const start = performance.now();
      expect(tryParseImageRef(input)).toBeUndefined();
      expect(performance.now() - start).toBeLessThan(50);
    }
  });
});

describe('tryParseImageRef', () => {
  it.each([
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    ['Nginx', undefined],
    ['', undefined],
    ['x'.repeat(5000), undefined],
  ] as const)('returns the reference or undefined for %s', (input, expected) => {
    expect(tryParseImageRef(input)).toStrictEqual(expected);
  });
});

describe('parseRepository', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['localhost:5000/team/app', { registry: 'localhost:5000', repository: 'team/app' }],
    ['ghcr.io/org/app', { registry: 'ghcr.io', repository: 'org/app' }],
  ] as const)('returns registry and path for %s', (input, expected) => {
    expect(parseRepository(input)).toStrictEqual(expected);
  });

  it.each([
    ['nginx:1.25', 'REF_NOT_REPOSITORY'],
    [`nginx@sha256:${F64}`, 'REF_NOT_REPOSITORY'],
    // regexp_test.go TestFullNameRegexp: a host with an invalid character cannot carry a port.
    ['foo_bar.com:8080', 'REF_NOT_REPOSITORY'],
    ['foo_bar.com:8080/app', 'REF_INVALID_FORMAT'],
    ['foo.com:http/bar', 'REF_INVALID_FORMAT'],
    ['a/a/a/a/', 'REF_INVALID_FORMAT'],
    ['a//a/a', 'REF_INVALID_FORMAT'],
    ['foo.com/', 'REF_INVALID_FORMAT'],
    ['a^a', 'REF_INVALID_FORMAT'],
    ['a-/a/a/a', 'REF_INVALID_FORMAT'],
    ['foo/-bar', 'REF_INVALID_FORMAT'],
    ['do__cker:8080/docker', 'REF_INVALID_FORMAT'],
    ['example.com/__underscore/myimage', 'REF_INVALID_FORMAT'],
    ['example.com/.dots/myimage', 'REF_INVALID_FORMAT'],
    ['docker./docker', 'REF_INVALID_FORMAT'],
  ] as const)('refuses %s with %s', (input, code) => {
    expect(codeOf(() => parseRepository(input))).toBe(code);
  });
});

describe('isValidRepositoryPath', () => {
  it.each([
    ['library/nginx', true],
    ['a', true],
    ['org/team/app', true],
    ['some_separator__underscore/myimage', true],
    ['project--id.module--name.ver---sion--name', true],
    [`${'a/'.repeat(127)}a`, true],
    [`${'a/'.repeat(128)}a`, false],
    ['', false],
    ['Library/nginx', false],
    ['a//b', false],
    ['/a', false],
    ['a/', false],
    ['a___b', false],
    ['a..b', false],
    ['a:b', false],
    ['a@b', false],
  ] as const)('says %s is valid: %s', (path, expected) => {
    expect(isValidRepositoryPath(path)).toBe(expected);
  });
});

describe('isValidTag', () => {
  it.each([
    ['latest', true],
    ['v1.2.3-rc.1', true],
    ['_x', true],
    ['UPPER', true],
    ['t'.repeat(128), true],
    ['t'.repeat(129), false],
    ['', false],
    ['-x', false],
    ['.x', false],
    ['a/b', false],
    ['a:b', false],
    ['a~b', false],
    ['ä', false],
  ] as const)('says %s is valid: %s', (tag, expected) => {
    expect(isValidTag(tag)).toBe(expected);
  });
});
