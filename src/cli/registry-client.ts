import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../core/index.js';
import { parseImageRef, parseRepository, type ImageRef, type RepositoryRef } from '../imageref/index.js';
import {
  createDockerConfigCredentialStore,
  createStaticCredentialStore,
  readPasswordFromStdin,
  RegistryClient,
  type CredentialStore,
} from '../oci/index.js';
import { UsageError, type CliIO } from './io.js';

// For commands that write to or read from a registry directly (sign, verify) rather than open
// an image: the same credential flags as image-target.ts, without the image-source options.

export const registryOptions = {
  insecure: { type: 'boolean', default: false },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type RegistryFlags = {
  readonly insecure?: boolean | undefined;
  readonly username?: string | undefined;
  readonly 'password-stdin'?: boolean | undefined;
};

export const registryHelp = `Registry options:
  --insecure                    allow plain HTTP and unverified TLS for a non-loopback registry
  --username NAME               registry user; the password is read from stdin with --password-stdin
  --password-stdin              read the registry password (or token) from standard input
Credentials otherwise come from Docker's config.json ($DOCKER_CONFIG or ~/.docker): auths, credHelpers, credsStore.`;

/**
 * The one image a signing command takes.
 * @throws UsageError for none or several.
 */
export function singleImageArgument(positionals: readonly string[], command: string): string {
  const [image] = positionals;
  if (positionals.length !== 1 || image === undefined) {
    throw new UsageError(
      `${command} takes exactly one image, got ${positionals.length}; see portcullis ${command} --help`,
    );
  }
  return image;
}

/**
 * The image reference a registry command was given: `REF` or `docker://REF`; other transports
 * (oci:, docker-archive:, …) have no registry to store signatures in.
 * @throws UsageError for other transports; ImageRefError for a malformed reference.
 */
export function parseRegistryImage(target: string, command: string): ImageRef {
  const ref = target.startsWith('docker://') ? target.slice('docker://'.length) : target;
  const transport = /^(oci|oci-archive|docker-archive|rootfs|sbom):/.exec(ref)?.[1];
  if (transport !== undefined) {
    throw new UsageError(
      `${command} works on images in a registry, not ${transport}: targets (push the image first)`,
    );
  }
  return parseImageRef(ref);
}

/**
 * The repository signatures live in when not beside the image: the flag, else cosign's
 * `COSIGN_REPOSITORY` variable, else undefined.
 * @throws ImageRefError when it is not a repository name.
 */
export function signatureRepositoryFrom(flag: string | undefined, io: CliIO): RepositoryRef | undefined {
  const value = flag ?? io.env['COSIGN_REPOSITORY'];
  return value === undefined || value === '' ? undefined : parseRepository(value);
}

/**
 * A registry client for `ref`'s registry with credentials from the flags (the password from
 * stdin, never argv) or Docker's config.
 * @throws UsageError for flag combinations that cannot work.
 */
export async function openRegistryClient(
  ref: ImageRef,
  flags: RegistryFlags,
  io: CliIO,
  logger: Logger,
): Promise<RegistryClient> {
  const credentials = await registryCredentials(ref.registry, flags, io, logger);
  return new RegistryClient({ credentials, insecure: flags.insecure === true, logger });
}

/**
 * Registry credentials from the flags (`--username` with the password on stdin, never argv),
 * falling back to Docker's config.json; `registry` is undefined for targets that are not in a
 * registry, where `--username` makes no sense. Shared by every command that talks to a registry.
 * @throws UsageError for flag combinations that cannot work.
 */
export async function registryCredentials(
  registry: string | undefined,
  flags: RegistryFlags,
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
  if (registry === undefined)
    throw new UsageError('--username applies only to registry targets (docker://…)');
  const password = await readPasswordFromStdin(io.stdin);
  return createStaticCredentialStore(
    registry,
    { kind: 'basic', username: flags.username, password },
    fromConfig,
  );
}
