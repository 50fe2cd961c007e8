import path from 'node:path';
import { defaultCacheDir, type Logger } from '../core/index.js';
import { parseImageRef } from '../imageref/index.js';
import {
  BlobCache,
  LayerCache,
  openImageSource,
  parsePlatform,
  parseTarget,
  RegistryClient,
  RegistryImageSource,
  type Image,
} from '../oci/index.js';
import type { ImageTargetFlags } from './image-target-flags.js';
import { type CliIO } from './io.js';
import { registryCredentials } from './registry-client.js';

// The flags and help live apart from openTarget so that commands can parse their arguments
// without loading the OCI stack (lint loads it only with --image).
export { imageTargetOptions, imageTargetHelp } from './image-target-flags.js';
export type { ImageTargetFlags } from './image-target-flags.js';

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
  const credentials = await registryCredentials(
    parsed.kind === 'docker' ? parseImageRef(parsed.reference).registry : undefined,
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
