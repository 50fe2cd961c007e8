import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { makeChunkedBlob, makeConformanceData } from './index.js';

// The suite's content must be what the Go suite's setup makes, or its checks test nothing:
// artifacts whose subject is manifest 4, a dangling one naming manifest 3, a real tar layer,
// chunks that rebuild the blob with the ranges the PATCHes announce.

describe('conformance data', () => {
  const d = makeConformanceData();

  it('makes five distinct configs and manifests, each manifest naming its config and the layer', () => {
    expect(new Set(d.configs.map((c) => c.digest)).size).toBe(5);
    d.manifests.forEach((m, i) => {
      expect(m.digest).toBe(digestOf(m.content));
      const body = JSON.parse(m.content.toString('utf8')) as {
        config: { digest: string; data: string };
        layers: { digest: string }[];
      };
      expect(body.config.digest).toBe(d.configs[i]?.digest);
      expect(Buffer.from(body.config.data, 'base64').equals(d.configs[i]?.content ?? Buffer.alloc(1))).toBe(
        true,
      );
      expect(body.layers.map((l) => l.digest)).toEqual([d.layer.digest]);
    });
  });

  it('points the five referrers at manifest 4 and the dangling one at manifest 3', () => {
    const subjectOf = (b: { content: Buffer }) =>
      (JSON.parse(b.content.toString('utf8')) as { subject?: { digest: string } }).subject?.digest;
    for (const r of [d.refsConfigA, d.refsConfigB, d.refsLayerA, d.refsLayerB, d.refsIndex]) {
      expect(subjectOf(r)).toBe(d.manifests[4]?.digest);
      expect(d.annotationValues.has(r.digest)).toBe(true);
    }
    expect(subjectOf(d.refsDangling)).toBe(d.manifests[3]?.digest);
    expect(subjectOf(d.configTypeArtifact)).toBeUndefined();
    expect(d.emptyJson.digest).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
  });

  it('makes a gzipped ustar layer', () => {
    const tar = gunzipSync(d.layer.content);
    expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar');
    expect(tar.length % 512).toBe(0);
    // GNU tar reads it (a bad header checksum would make it refuse the archive).
    const listed = spawnSync('tar', ['-tz'], { input: d.layer.content, encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.trim()).toBe('conformance.txt');
  });

  it('cuts the chunked blob into two chunks whose ranges cover it', () => {
    for (const size of [42, 43, 1000]) {
      const c = makeChunkedBlob(size);
      expect(Buffer.concat([c.chunk1, c.chunk2]).equals(c.content)).toBe(true);
      expect(c.chunk1Range).toBe(`0-${c.chunk1.length - 1}`);
      expect(c.chunk2Range).toBe(`${c.chunk1.length}-${size - 1}`);
    }
  });
});
