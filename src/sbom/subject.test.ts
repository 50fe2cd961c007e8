import { describe, expect, it } from 'vitest';
import type { Image, LayeredImage } from '../oci/index.js';
import { imageOf } from '../testing/layer-images.js';
import { ociPurl } from './purl.js';
import { imageSubject } from './subject.js';

// A real two-layer image (tars built in memory, config with diff_ids and history); the cases
// below change only where it says it was read from.
const { image: base } = await imageOf(
  [{ name: 'etc/os-release', content: 'ID=debian\n' }],
  [{ name: 'app/run', content: '#!/bin/sh\n' }],
);
const digest = base.digest ?? base.configDigest;

function from(source: LayeredImage['source'], reference: string): Image {
  return { ...base, source, reference };
}

describe('imageSubject', () => {
  it.each([
    [
      'a Docker Hub image',
      from('docker', `docker.io/library/alpine:3.19@${digest}`),
      'alpine',
      'docker.io/library/alpine',
      '3.19',
    ],
    [
      'a registry with a port, no tag',
      from('docker', `localhost:5000/team/app@${digest}`),
      'app',
      'localhost:5000/team/app',
      undefined,
    ],
    [
      'an OCI layout with a tag',
      from('oci', `oci:/data/layouts/My-App:v1@${digest}`),
      'my-app',
      undefined,
      'v1',
    ],
    ['an OCI layout without tag', from('oci', `oci:/data/layout@${digest}`), 'layout', undefined, undefined],
    [
      'an OCI archive',
      from('oci-archive', `oci-archive:/x/app.tar:latest@${digest}`),
      'app',
      undefined,
      'latest',
    ],
    [
      'a docker-archive by name',
      from('docker-archive', `docker-archive:/x/images.tar:alpine:3.10@${digest}`),
      'alpine',
      undefined,
      '3.10',
    ],
    [
      'a docker-archive by index',
      from('docker-archive', `docker-archive:/x/app.tar.gz@1@${digest}`),
      'app',
      undefined,
      undefined,
    ],
  ])('names %s for its purl', (_what, image, name, repositoryUrl, tag) => {
    expect(imageSubject(image)).toMatchObject({
      name,
      repositoryUrl,
      tag,
      digest: image.kind === 'layered' ? image.digest : undefined,
    });
  });

  it('takes digests, architecture and every layer with its diffID, blob digest and history step', () => {
    const s = imageSubject(base);
    expect(s).toMatchObject({
      reference: base.reference,
      digest: base.digest,
      configDigest: base.configDigest,
      indexDigest: undefined,
      platform: undefined,
      architecture: 'amd64',
    });
    expect(s.layers).toEqual(
      base.layers.map((l) => ({
        index: l.index,
        diffID: l.diffID,
        digest: l.descriptor.digest,
        createdBy: l.history?.created_by,
      })),
    );
    expect(s.layers).toHaveLength(2);
  });

  it('formats the platform the image was selected for', () => {
    const s = imageSubject({ ...base, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    expect(s).toMatchObject({ platform: 'linux/arm64/v8', architecture: 'arm64' });
  });

  it('gives a root filesystem a name but no digest, layers or purl', () => {
    const s = imageSubject({
      kind: 'rootfs',
      source: 'rootfs',
      reference: 'rootfs:/srv/Root',
      root: '/srv/Root',
    });
    expect(s).toMatchObject({ name: 'root', digest: undefined, layers: [] });
    expect(ociPurl(s)).toBeUndefined();
  });

  it('lets the caller name the image when the reference cannot say', () => {
    const s = imageSubject(from('oci', `oci:/a:b/c@${digest}`), {
      name: 'Web',
      tag: '2.0',
      repositoryUrl: 'ghcr.io/org/web',
    });
    expect(s).toMatchObject({ name: 'web', tag: '2.0', repositoryUrl: 'ghcr.io/org/web' });
    expect(ociPurl(s)).toBe(
      `pkg:oci/web@${digest.replace(':', '%3A')}?arch=amd64&repository_url=ghcr.io/org/web&tag=2.0`,
    );
  });
});
