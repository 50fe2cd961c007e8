import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRepository } from '../../imageref/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { CosignError } from './errors.js';
import {
  parseAnnotationFlags,
  parseSimpleSigningPayload,
  simpleSigningPayload,
  tryParseSimpleSigningPayload,
} from './payload.js';

const blob = (name: string): Buffer =>
  readFileSync(sharedData('signing', 'connaisseur-cosign-testimage', 'blobs', name));

const D34DB33F = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';

describe('simpleSigningPayload writes the bytes cosign writes', () => {
  // Real payload blobs of connaisseur's cosign test image: the sha256 of each file is the layer
  // digest in the upstream signature manifest, so equal bytes mean cosign-identical payloads.
  it.each([
    [
      'docker.io/securesystemsengineering/testimage',
      'sha256:bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533',
      'sha256_7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28.json',
    ],
    [
      'securesystemsengineering/testimage',
      'sha256:071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81',
      'sha256_d8ee807d96efe7441b132967ad94eaffbc0172a763e69f2cd8df8f583f0ba0d4.json',
    ],
    [
      'index.docker.io/phbelitz/rekor-test',
      'sha256:31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee',
      'sha256_897d9e862b4599b723442f36ed7b4cfd1628bb7656643c56855988cac161d065.json',
    ],
  ])('%s@%s equals upstream blob %s', (repo, digest, file) => {
    expect(simpleSigningPayload(parseRepository(repo), digest).equals(blob(file))).toBe(true);
  });

  it('matches sigstore payload_test.go "no claims" (also the synthetic vector in the data)', () => {
    const want = readFileSync(sharedData('signing', 'cosign-keys', 'synthetic-simplesigning-payload.json'));
    const got = simpleSigningPayload({ registry: 'example.com', repository: 'test/image' }, D34DB33F);
    expect(got.toString()).toBe(
      '{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f"},"type":"cosign container image signature"},"optional":null}',
    );
    expect(got.equals(want)).toBe(true);
  });

  // Checked against Go's encoding/json (go1.19 on this machine) except `\b \f`, which Go 1.22
  // changed from \u0008 \u000c; cosign v3 is built with a later Go.
  it.each([
    ['no annotations gives null', {}, '"optional":null}'],
    [
      'keys are sorted bytewise',
      { timestamp: '1', creator: 'atomic' },
      '"optional":{"creator":"atomic","timestamp":"1"}}',
    ],
    [
      'numeric-looking keys sort as strings, not numbers',
      { '9': 'a', '10': 'b' },
      '"optional":{"10":"b","9":"a"}}',
    ],
    ['HTML characters are escaped as Go does', { k: '<a&b>' }, '"optional":{"k":"\\u003ca\\u0026b\\u003e"}}'],
    [
      'control characters',
      { k: 'a\nb\tc\u0001\b\f"\\' },
      '"optional":{"k":"a\\nb\\tc\\u0001\\b\\f\\"\\\\"}}',
    ],
    ['line and paragraph separators', { k: '\u2028\u2029é' }, '"optional":{"k":"\\u2028\\u2029é"}}'],
  ])('optional: %s', (_name, annotations, tail) => {
    const got = simpleSigningPayload(
      { registry: 'example.com', repository: 'a' },
      D34DB33F,
      annotations,
    ).toString();
    expect(got.endsWith(tail)).toBe(true);
  });

  it('refuses a digest that is not a digest', () => {
    expect(() => simpleSigningPayload({ registry: 'example.com', repository: 'a' }, 'sha256:abc')).toThrow(
      /invalid digest/,
    );
  });
});

describe('parseSimpleSigningPayload', () => {
  it('reads a real payload', () => {
    const p = parseSimpleSigningPayload(
      blob('sha256_7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28.json'),
    );
    expect(p).toEqual({
      dockerReference: 'index.docker.io/securesystemsengineering/testimage',
      dockerManifestDigest: 'sha256:bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533',
      type: 'cosign container image signature',
      optional: undefined,
    });
  });

  it('round-trips annotations', () => {
    const bytes = simpleSigningPayload({ registry: 'ghcr.io', repository: 'o/a' }, D34DB33F, { env: 'prod' });
    expect(parseSimpleSigningPayload(bytes).optional).toEqual({ env: 'prod' });
  });

  it('matches field names case-insensitively, as Go does (old cosign wrote "Critical")', () => {
    const old = Buffer.from(
      `{"Critical":{"Identity":{"docker-reference":"r/x"},"Image":{"Docker-manifest-digest":"${D34DB33F}"},"Type":"t"},"Optional":{"a":1}}`,
    );
    expect(parseSimpleSigningPayload(old)).toEqual({
      dockerReference: 'r/x',
      dockerManifestDigest: D34DB33F,
      type: 't',
      optional: { a: 1 },
    });
  });

  it.each([
    ['not JSON', '{"critical":', /not JSON/],
    ['an array', '[]', /expected/],
    ['no critical', '{"optional":null}', /critical/],
    [
      'digest not a string',
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":1},"type":"t"}}`,
      /docker-manifest-digest/,
    ],
    [
      'optional not an object',
      `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t"},"optional":"x"}`,
      /optional/,
    ],
  ])('refuses %s with COSIGN_PAYLOAD_INVALID', (_name, text, message) => {
    const bytes = Buffer.from(text);
    expect(() => parseSimpleSigningPayload(bytes)).toThrow(message);
    expect(() => parseSimpleSigningPayload(bytes)).toThrow(CosignError);
    expect(tryParseSimpleSigningPayload(bytes)).toBeUndefined();
  });

  it('refuses oversized input before parsing it', () => {
    expect(() => parseSimpleSigningPayload(Buffer.alloc(2 * 1024 * 1024, 0x20))).toThrow(/at most/);
  });
});

describe('parseAnnotationFlags', () => {
  it.each([
    [['a=b'], { a: 'b' }],
    [['a=b', 'c='], { a: 'b', c: '' }],
    [['a=1', 'a=2'], { a: '2' }],
    [[], {}],
  ])('%j → %j', (flags, want) => {
    expect(parseAnnotationFlags(flags)).toEqual(want);
  });

  it.each([['a'], ['a=b=c'], ['=b']])('refuses %s', (flag) => {
    expect(() => parseAnnotationFlags([flag])).toThrow(/expected key=value/);
  });
});
