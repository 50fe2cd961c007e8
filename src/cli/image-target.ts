import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { defaultCacheDir, type Logger } from '../core/index.js';
import { parseImageRef } from '../imageref/index.js';
import {
  BlobCache,
  createDockerConfigCredentialStore,
  createStaticCredentialStore,
  LayerCache,
  openImageSource,
  parsePlatform,
  parseTarget,
  readPasswordFromStdin,
  RegistryClient,
  RegistryImageSource,
  type CredentialStore,
  type Image,
} from '../oci/index.js';
import { UsageError, type CliIO } from './io.js';

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

export type OpenedTarget = {
  readonly image: Image;
  /** Processed layers and inventories from earlier runs (keyed by diffID), under the cache dir. */
  readonly layerCache: LayerCache;
  close(): Promise<void>;
};

/**
 * Opens the image a command was pointed at, with credentials from the flags or Docker's config.
 * @throws UsageError for flag combinations that cannot work; OciError/ImageRefError from the source.
 */
export async function openTarget(
  target: string,
  flags: ImageTargetFlags,
  io: CliIO,
  logger: Logger,
): Promise<OpenedTarget> {
  const parsed = parseTarget(target);
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const cacheDir = flags['cache-dir'] ?? defaultCacheDir(io.env);
  const credentials = await credentialsFor(
    parsed.kind === 'docker' ? parsed.reference : undefined,
    flags,
    io,
    logger,
  );
  const client = new RegistryClient({ credentials, insecure: flags.insecure === true, logger });
  const cache = new BlobCache({ dir: `${cacheDir}/blobs`, logger });
  const source = await openImageSource(target, {
    cacheDir,
    logger,
    ...(platform ? { platform } : {}),
    registry: (ref) => new RegistryImageSource(ref, { client, cache, logger }),
  });
  try {
    const image = await source.open(platform ? { platform } : {});
    return {
      image,
      layerCache: new LayerCache({ dir: path.join(cacheDir, 'layers') }),
      close: () => source.close(),
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}

async function credentialsFor(
  reference: string | undefined,
  flags: ImageTargetFlags,
  io: CliIO,
  logger: Logger,
): Promise<CredentialStore> {
  const fromConfig = createDockerConfigCredentialStore({ env: io.env, logger });
  if (flags.username === undefined) {
    if (flags['password-stdin'] === true) throw new UsageError('--password-stdin needs --username');
    return fromConfig;
  }
  if (flags['password-stdin'] !== true) {
    throw new UsageError('--username needs --password-stdin: passwords are never taken from arguments');
  }
  if (reference === undefined)
    throw new UsageError('--username applies only to registry targets (docker://…)');
  const password = await readPasswordFromStdin(io.stdin);
  const { registry } = parseImageRef(reference);
  return createStaticCredentialStore(
    registry,
    { kind: 'basic', username: flags.username, password },
    fromConfig,
  );
}
