import type { ParseArgsConfig } from 'node:util';

/** Flags shared by every command that reads an image. */
export const imageTargetOptions = {
  platform: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  'cache-dir': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type ImageTargetFlags = {
  readonly platform?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly username?: string | undefined;
  readonly 'password-stdin'?: boolean | undefined;
  readonly 'cache-dir'?: string | undefined;
};

export const imageTargetHelp = `Targets:
  docker://REF | REF         an image in a registry (docker.io/library/alpine:3.20, localhost:5000/app@sha256:…)
  oci:DIR[:TAG]              an OCI image layout directory
  oci-archive:FILE[:TAG]     a tar of an OCI image layout
  docker-archive:FILE        a \`docker save\` tarball (plain or gzip-compressed)
  rootfs:DIR                 a root filesystem directory

Image options:
  --platform OS/ARCH[/VARIANT]  platform to pick from a multi-platform image (default: this machine's)
  --insecure                    allow plain HTTP and unverified TLS for a non-loopback registry
  --username NAME               registry user; the password is read from stdin with --password-stdin
  --password-stdin              read the registry password (or token) from standard input
  --cache-dir DIR               blob cache (default: $PORTCULLIS_CACHE_DIR or ~/.cache/portcullis)
Credentials otherwise come from Docker's config.json ($DOCKER_CONFIG or ~/.docker): auths, credHelpers, credsStore.`;
