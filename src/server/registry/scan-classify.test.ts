import { describe, expect, it } from 'vitest';
import { MediaType } from '../../oci/index.js';
import { classifyManifest } from './scan-classify.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function manifest(fields: {
  mediaType?: string;
  artifactType?: string;
  config?: string;
  layers?: readonly string[];
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: fields.mediaType ?? MediaType.ociManifest,
      ...(fields.artifactType === undefined ? {} : { artifactType: fields.artifactType }),
      config: { mediaType: fields.config ?? MediaType.ociConfig, digest: DIGEST, size: 2 },
      layers: (fields.layers ?? [MediaType.ociLayerGzip]).map((mediaType) => ({
        mediaType,
        digest: DIGEST,
        size: 2,
      })),
    }),
  );
}

describe('classifyManifest', () => {
  it.each([
    ['an OCI image', manifest({})],
    [
      'a Docker image',
      manifest({
        mediaType: MediaType.dockerManifest,
        config: MediaType.dockerConfig,
        layers: [MediaType.dockerLayerGzip],
      }),
    ],
    [
      'an image with zstd and uncompressed layers',
      manifest({ layers: [MediaType.ociLayerZstd, MediaType.ociLayerTar] }),
    ],
    ['an image without layers', manifest({ layers: [] })],
  ])('scans %s', (_, bytes) => {
    expect(classifyManifest(bytes)).toEqual({ kind: 'image' });
  });

  it.each([
    [
      'an index',
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] })),
      'an index',
    ],
    [
      'a cosign signature',
      manifest({ layers: ['application/vnd.dev.cosign.simplesigning.v1+json'] }),
      'cosign',
    ],
    ['an in-toto attestation', manifest({ layers: ['application/vnd.dsse.envelope.v1+json'] }), 'dsse'],
    [
      'an artifact with an artifactType',
      manifest({ artifactType: 'application/spdx+json', config: MediaType.ociEmpty }),
      'application/spdx+json',
    ],
    [
      'an artifact with its own config type',
      manifest({ config: 'application/vnd.cncf.helm.config.v1+json' }),
      'helm',
    ],
    [
      'Docker schema 1',
      Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] })),
      'schema 1',
    ],
    ['bytes that are not JSON', Buffer.from('not json'), 'not valid JSON'],
  ])('does not scan %s, and says why', (_, bytes, reason) => {
    const target = classifyManifest(bytes);
    expect(target.kind).toBe('unsupported');
    expect(target.kind === 'unsupported' ? target.reason : '').toContain(reason);
  });
});
