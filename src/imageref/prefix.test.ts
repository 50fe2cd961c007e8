import { describe, expect, it } from 'vitest';
import { ImageRefError } from './errors.js';
import { matchesRepositoryPrefix, parseRepositoryPrefix, tryParseRepositoryPrefix } from './prefix.js';

describe('parseRepositoryPrefix', () => {
  it.each([
    ['my-registry.io', 'my-registry.io', ''],
    ['my-registry.io/', 'my-registry.io', ''],
    ['MY-Registry.IO', 'my-registry.io', ''],
    ['localhost', 'localhost', ''],
    ['localhost:5000', 'localhost:5000', ''],
    ['localhost:5000/', 'localhost:5000', ''],
    ['[::1]:5000', '[::1]:5000', ''],
    ['ghcr.io/acme', 'ghcr.io', 'acme'],
    ['ghcr.io/acme/', 'ghcr.io', 'acme'],
    ['ghcr.io/acme/team/app', 'ghcr.io', 'acme/team/app'],
    // Docker Hub: written like a reference, it means what the reference means.
    ['nginx', 'docker.io', 'library/nginx'],
    ['docker.io/nginx', 'docker.io', 'library/nginx'],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx'],
    ['registry-1.docker.io/library/nginx', 'docker.io', 'library/nginx'],
    ['docker.io/library', 'docker.io', 'library'],
    ['library', 'docker.io', 'library'],
    ['docker.io/library/', 'docker.io', 'library'],
    ['acme/app', 'docker.io', 'acme/app'],
    // A trailing slash marks a namespace: the organisation, not library/acme.
    ['docker.io/acme/', 'docker.io', 'acme'],
    ['acme/', 'docker.io', 'acme'],
    ['docker.io', 'docker.io', ''],
    ['docker.io/', 'docker.io', ''],
  ])('%s is registry %s, path "%s"', (input, registry, path) => {
    expect(parseRepositoryPrefix(input)).toEqual({ registry, path });
  });

  it.each([
    ['', 'empty'],
    ['/', 'empty'],
    ['ghcr.io//acme', 'not valid'],
    ['ghcr.io/acme//', 'not valid'],
    ['ghcr.io/acme:1.0', 'not valid'],
    ['ghcr.io/acme@sha256:' + 'a'.repeat(64), 'digest'],
    ['ghcr.io/acme/*', 'not valid'],
    ['*.acme.io', 'not a valid registry'],
    ['nginx:1.25', 'not a valid registry'],
    ['ghcr.io/Acme', 'not valid'],
    ['my registry.io', 'not a valid registry'],
    ['https://ghcr.io/acme', 'not a valid registry'],
    ['a'.repeat(5000), 'longer than'],
  ])('refuses %s (%s)', (input, why) => {
    expect(() => parseRepositoryPrefix(input)).toThrow(ImageRefError);
    expect(() => parseRepositoryPrefix(input)).toThrow(why);
    expect(tryParseRepositoryPrefix(input)).toBeUndefined();
  });
});

describe('matchesRepositoryPrefix', () => {
  it.each([
    // Whole registries, with and without the trailing slash.
    ['my-registry.io/app', 'my-registry.io', true],
    ['my-registry.io/team/app:1.0', 'my-registry.io/', true],
    ['MY-REGISTRY.IO/app', 'my-registry.io', true],
    // Hostile look-alikes never pass a host prefix: the host is compared whole.
    ['my-registry.io.evil.com/x', 'my-registry.io', false],
    ['my-registry.io.evil.com/x', 'my-registry.io/', false],
    ['my-registry.io-evil/x', 'my-registry.io', false],
    ['my-registry.io-evil/x', 'my-registry.io/', false],
    ['evil.my-registry.io/x', 'my-registry.io', false],
    ['evilmy-registry.io/x', 'my-registry.io', false],
    ['my-registry.io:443/x', 'my-registry.io', false],
    // Repository prefixes match whole path components.
    ['ghcr.io/acme/app', 'ghcr.io/acme', true],
    ['ghcr.io/acme/app', 'ghcr.io/acme/', true],
    ['ghcr.io/acme/team/app@sha256:' + 'b'.repeat(64), 'ghcr.io/acme', true],
    ['ghcr.io/acme', 'ghcr.io/acme', true],
    ['ghcr.io/acmecorp/app', 'ghcr.io/acme', false],
    ['ghcr.io/acme-evil/app', 'ghcr.io/acme', false],
    ['ghcr.io/acme.evil/app', 'ghcr.io/acme', false],
    ['ghcr.io/ac/me', 'ghcr.io/acme', false],
    ['ghcr.io/other/acme', 'ghcr.io/acme', false],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app/sub', false],
    ['ghcr.io/acme/app', 'gcr.io/acme', false],
    // Ports are part of the registry.
    ['localhost:5000/app', 'localhost:5000', true],
    ['localhost:5000/app', 'localhost', false],
    ['localhost/app', 'localhost:5000', false],
    ['localhost:50001/app', 'localhost:5000', false],
    ['[::1]:5000/app', '[::1]:5000', true],
    // Docker Hub normalization on both sides.
    ['nginx', 'docker.io/library/nginx', true],
    ['nginx:1.25', 'nginx', true],
    ['docker.io/library/nginx', 'nginx', true],
    ['index.docker.io/library/nginx:latest', 'docker.io/library/nginx', true],
    ['nginx', 'docker.io', true],
    ['nginx', 'index.docker.io/', true],
    ['nginx', 'docker.io/library', true],
    ['acme/nginx', 'docker.io/library', false],
    ['nginx', 'docker.io/library/', true],
    ['nginxinc/nginx-unprivileged', 'nginx', false],
    ['nginx-unprivileged', 'nginx', false],
    ['acme/app', 'docker.io/acme/', true],
    ['acme/app', 'acme/', true],
    ['acme', 'docker.io/acme/', false],
    ['acmecorp/app', 'docker.io/acme/', false],
    ['docker.io.evil.com/library/nginx', 'docker.io', false],
    // Anything that does not parse matches nothing.
    ['', 'ghcr.io', false],
    ['ghcr.io/Acme/app', 'ghcr.io', false],
    ['ghcr.io/acme/app', '', false],
    ['ghcr.io/acme/app', 'ghcr.io/acme/*', false],
  ])('%s under %s: %s', (reference, prefix, expected) => {
    expect(matchesRepositoryPrefix(reference, prefix)).toBe(expected);
  });

  it('takes already parsed references and prefixes', () => {
    const prefix = parseRepositoryPrefix('ghcr.io/acme');
    expect(matchesRepositoryPrefix({ registry: 'GHCR.io', repository: 'acme/app' }, prefix)).toBe(true);
    expect(matchesRepositoryPrefix({ registry: 'ghcr.io', repository: 'acmecorp/app' }, prefix)).toBe(false);
  });
});
