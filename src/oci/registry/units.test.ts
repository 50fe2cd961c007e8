import { describe, expect, it } from 'vitest';
import { digestOf, parseDigest } from '../../core/index.js';
import { MediaType } from '../mediatypes.js';
import { referrerOf, referrersTag } from './referrers.js';
import { parseRegistryErrors } from './responses.js';
import { parseNextLink } from './tags.js';

describe('parseNextLink', () => {
  it.each([
    ['</v2/a/tags/list?n=2&last=b>; rel="next"', '/v2/a/tags/list?n=2&last=b'],
    ['<https://r.example/v2/a/tags/list?last=b>; rel=next', 'https://r.example/v2/a/tags/list?last=b'],
    ['</prev>; rel="prev", </next>; rel="next"', '/next'],
    ['</x>; title="a, b"; rel="next"', '/x'],
    ['</x>; rel="prev"', undefined],
    ['garbage', undefined],
  ])('%s', (header, expected) => {
    expect(parseNextLink([header])).toBe(expected);
  });
});

describe('referrers tag schema', () => {
  it('names the tag <alg>-<hex>', () => {
    const d = digestOf('subject');
    expect(referrersTag(d)).toBe(d.replace(':', '-'));
  });

  it('cuts sha512 digests so the tag stays within 128 characters', () => {
    const d = parseDigest(`sha512:${'ab'.repeat(64)}`);
    const tag = referrersTag(d);
    expect(tag).toBe(`sha512-${'ab'.repeat(32)}`);
    expect(tag.length).toBeLessThanOrEqual(128);
  });

  it('describes a referrer by its artifact type, else its config media type', () => {
    const subject = { mediaType: MediaType.ociManifest, digest: digestOf('s'), size: 1 };
    const config = { mediaType: 'application/vnd.example.config', digest: digestOf('{}'), size: 2 };
    const withType = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        artifactType: 'application/vnd.example.sig',
        config,
        layers: [],
        subject,
        annotations: { a: 'b' },
      }),
    );
    expect(referrerOf(withType, MediaType.ociManifest, digestOf(withType))).toEqual({
      subject: subject.digest,
      descriptor: {
        mediaType: MediaType.ociManifest,
        digest: digestOf(withType),
        size: withType.length,
        artifactType: 'application/vnd.example.sig',
        annotations: { a: 'b' },
      },
    });
    const withoutType = Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [], subject }));
    expect(
      referrerOf(withoutType, MediaType.ociManifest, digestOf(withoutType))?.descriptor.artifactType,
    ).toBe('application/vnd.example.config');
    const noSubject = Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [] }));
    expect(referrerOf(noSubject, MediaType.ociManifest, digestOf(noSubject))).toBeUndefined();
  });
});

describe('parseRegistryErrors', () => {
  it('reads the distribution error envelope', () => {
    const body = Buffer.from(
      JSON.stringify({
        errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }],
      }),
    );
    expect(parseRegistryErrors(body)).toEqual([
      { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: '{"Tag":"x"}' },
    ]);
  });

  it('answers nothing for bodies of another shape', () => {
    expect(parseRegistryErrors(Buffer.from('404 page not found'))).toEqual([]);
    expect(parseRegistryErrors(Buffer.from('{"message":"x"}'))).toEqual([]);
  });
});
