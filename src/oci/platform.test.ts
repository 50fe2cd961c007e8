import { describe, expect, it } from 'vitest';
import { digestOf } from '../core/index.js';
import {
  configMatchesPlatform,
  formatPlatform,
  hostPlatform,
  parsePlatform,
  selectPlatformManifest,
} from './platform.js';
import type { ImageIndex } from './schema.js';

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['Linux/AMD64', 'linux/amd64'],
    ['windows/amd64', 'windows/amd64'],
  ])('%s → %s', (input, expected) => {
    expect(formatPlatform(parsePlatform(input))).toBe(expected);
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/extra', 'linux amd64', ''])(
    'refuses %j naming it',
    (input) => {
      expect(() => parsePlatform(input)).toThrow(
        expect.objectContaining({ code: 'PLATFORM_INVALID' }) as Error,
      );
    },
  );

  it('knows the host', () => {
    expect(hostPlatform().os).toBe(process.platform);
  });
});

function desc(os: string, architecture: string, variant?: string) {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: digestOf(`${os}/${architecture}/${variant ?? ''}`),
    size: 100,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  };
}

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    desc('linux', 'amd64'),
    desc('linux', 'arm', 'v6'),
    desc('linux', 'arm', 'v7'),
    desc('linux', 'arm64', 'v8'),
    desc('unknown', 'unknown'),
  ],
};

describe('selectPlatformManifest', () => {
  it.each([
    ['linux/amd64', 'linux/amd64/'],
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/arm', 'linux/arm/v7'],
  ])('%s picks %s', (want, expected) => {
    expect(selectPlatformManifest(index, parsePlatform(want)).digest).toBe(digestOf(expected));
  });

  it('names the offered platforms when none matches, never the attestation entry', () => {
    expect(() => selectPlatformManifest(index, parsePlatform('linux/s390x'))).toThrow(
      /linux\/s390x.*offers: linux\/amd64, linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8 \(use --platform/,
    );
  });

  it('falls back to an image entry that carries no platform', () => {
    const bare = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digestOf('bare'),
      size: 1,
    };
    expect(
      selectPlatformManifest({ schemaVersion: 2, manifests: [bare] }, parsePlatform('linux/amd64')).digest,
    ).toBe(digestOf('bare'));
  });
});

describe('configMatchesPlatform', () => {
  it.each([
    [{ os: 'linux', architecture: 'amd64' }, true],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, false],
    [{}, true],
  ])('%j for linux/amd64 → %s', (config, expected) => {
    expect(configMatchesPlatform(parsePlatform('linux/amd64'), config)).toBe(expected);
  });
});
